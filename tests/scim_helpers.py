"""Helpers for the SCIM tests: a SCIM token, and requests sent as an identity provider sends them."""
import json

from app.api.services import create_token
from app.extensions import db
from app.timestamps import utcnow

SCIM = "/scim/v2"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def scim_token(name: str = "Entra ID", scope: str = "scim") -> str:
    _, secret = create_token(None, name, utcnow(), scope)
    db.session.commit()
    return secret


class IdentityProvider:
    """Sends SCIM requests with one token, as Entra ID or Okta would, and reads the JSON answers."""

    def __init__(self, client, secret: str):
        self.client = client
        self.headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/scim+json"}

    def send(self, method: str, path: str, body: dict | None = None, **query):
        response = self.client.open(SCIM + path, method=method, headers=self.headers, query_string=query or None,
                                    data=None if body is None else json.dumps(body))
        return response

    def get(self, path, **query):
        return self.send("GET", path, **query)

    def post(self, path, body):
        return self.send("POST", path, body)

    def put(self, path, body):
        return self.send("PUT", path, body)

    def patch(self, path, *operations):
        return self.send("PATCH", path, {"schemas": [PATCH_OP], "Operations": list(operations)})

    def delete(self, path):
        return self.send("DELETE", path)

"""SCIM tokens: the scim scope, kept apart from the rights API's tokens both ways; made by the CLI and
the admin's page; revocable at once; limited per token."""
import re

from sqlalchemy import select

from app.api.models import ApiToken
from app.api.services import revoke_token
from app.extensions import db
from app.timestamps import utcnow
from tests.conftest import csrf_token
from tests.scim_helpers import ERROR, IdentityProvider, scim_token


def test_each_scope_is_refused_on_the_other_api(app, client, people):
    rights, scim = scim_token("Scheduler", scope="rights"), scim_token("Entra ID")
    on_scim = IdentityProvider(client, rights).get("/Users")
    assert on_scim.status_code == 403 and on_scim.json["schemas"] == [ERROR]
    assert "scim scope" in on_scim.json["detail"]
    on_rights = client.get(f"/api/v1/people/{people.employee.email}/posting-rights",
                           headers={"Authorization": f"Bearer {scim}"})
    assert on_rights.status_code == 403 and "SCIM" in on_rights.json["error"]["message"]
    assert IdentityProvider(client, scim).get("/Users").status_code == 200


def test_no_token_a_wrong_one_a_revoked_one_or_one_in_the_url(app, client, people):
    for headers in ({}, {"Authorization": "Bearer prt_wrong"}, {"Authorization": "Basic dXNlcjpwYXNz"}):
        answer = client.get("/scim/v2/Users", headers=headers)
        assert answer.status_code == 401 and answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert answer.json["schemas"] == [ERROR] and answer.content_type == "application/scim+json"
    secret = scim_token("Okta")
    assert client.get(f"/scim/v2/Users?access_token={secret}").status_code == 400
    revoke_token(people.admin, db.session.scalar(select(ApiToken).where(ApiToken.name == "Okta")), utcnow())
    db.session.commit()
    assert IdentityProvider(client, secret).get("/Users").status_code == 401


def test_cli_makes_a_scim_token_with_the_secret_on_its_last_line(app, client, cli, people):
    made = cli("tokens", "create", "Entra ID", "--scope", "scim")
    assert made.exit_code == 0, made.output
    secret = made.output.strip().splitlines()[-1]
    assert IdentityProvider(client, secret).get("/ServiceProviderConfig").status_code == 200
    assert "scim" in cli("tokens", "list").output
    assert cli("tokens", "create", "x", "--scope", "everything").exit_code != 0
    default = cli("tokens", "create", "Scheduler").output.strip().splitlines()[-1]
    assert IdentityProvider(client, default).get("/Users").status_code == 403


def test_admin_picks_the_scope_on_the_token_page(app, client, people, login):
    login(people.admin)
    page = client.get("/api-tokens")
    assert "SCIM" in page.text and "http://127.0.0.1:5000/scim/v2" in page.text  # PUBLIC_BASE_URL's
    made = client.post("/api-tokens", data={"name": "Okta", "scope": "scim",
                                            "csrf_token": csrf_token(client, "/api-tokens")})
    assert made.status_code == 200 and "Copy this token now" in made.text
    secret = re.search(r'id="new-secret">([^<]+)<', made.text).group(1)
    assert IdentityProvider(client, secret).get("/Users").status_code == 200
    assert db.session.scalar(select(ApiToken.scope).where(ApiToken.name == "Okta")) == "scim"
    bad = client.post("/api-tokens", data={"name": "x", "scope": "root",
                                           "csrf_token": csrf_token(client, "/api-tokens")})
    assert bad.status_code == 400


def test_each_scim_token_has_its_own_rate_limit(app, client, people):
    app.config["SCIM_RATE_LIMIT"] = "2 per minute"
    first, second = IdentityProvider(client, scim_token("Entra ID")), IdentityProvider(client, scim_token("Okta"))
    assert [first.get("/Users").status_code for _ in range(3)] == [200, 200, 429]
    refused = first.get("/Users")
    assert refused.json["schemas"] == [ERROR] and refused.json["status"] == "429" and refused.headers["Retry-After"]
    assert second.get("/Users").status_code == 200

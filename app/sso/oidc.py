"""OpenID Connect sign-in, with Authlib's Flask client.

The client is made per app on first use, from the OIDC_* settings. Authlib reads the provider's
discovery document once and keeps it; it keeps the provider's keys too, and fetches them again when
a token names a key it has not seen (so a key rotation needs no restart).

What Authlib checks in the provider's answer: the state against the one kept in this browser's
session, the code with PKCE (S256), and the ID token's signature against the provider's published
keys, its issuer, audience, expiry and nonce (kept in the session beside the state). This module
reads the request through Authlib; it turns any failure into an OidcFailed with a message for the
person and a reason for the audit trail.
"""
from urllib.parse import urlencode

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import current_app, request
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from app.sso.rules import VerifiedIdentity
from app.sso.services import normal_email

EXTENSION = "postready.oidc"
CLIENT_NAME = "oidc"
HTTP_TIMEOUT_SECONDS = 10  # a provider that hangs must not hold a web worker for long
DISCOVERY_PATH = "/.well-known/openid-configuration"

_TRY_AGAIN = "Go back to the sign-in page and try again. If it keeps happening, contact {contact}."
MESSAGES = {
    "denied": "Your hospital's sign-in page did not let you in, or you chose not to go on. " + _TRY_AGAIN,
    "provider_error": "Your hospital's sign-in service sent back an error, so you are not signed in. " + _TRY_AGAIN,
    "state": "This sign-in was started too long ago, or in another window. Go back to the sign-in page "
             "and start again.",
    "token_refused": "Your hospital's sign-in service would not finish the sign-in. " + _TRY_AGAIN,
    "id_token_invalid": "We could not check the answer from your hospital's sign-in service, so you are not "
                        "signed in. " + _TRY_AGAIN,
    "unreachable": "We cannot reach your hospital's sign-in service right now. Wait a few minutes and try "
                   "again. If it keeps happening, contact {contact}.",
    "misconfigured": "Hospital sign-in is not set up correctly in PostReady yet, so you are not signed in. "
                     "Contact {contact}.",
}
STATUS = {"denied": 403, "provider_error": 400, "state": 400, "token_refused": 400, "id_token_invalid": 400,
          "unreachable": 502, "misconfigured": 502}


class OidcFailed(Exception):
    """Sign-in did not finish. `reason` is a key of MESSAGES; `detail` is for the audit trail only."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail[:300]

    @property
    def status(self) -> int:
        return STATUS[self.reason]

    def message(self, contact: str) -> str:
        return MESSAGES[self.reason].format(contact=contact)


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + DISCOVERY_PATH


def scopes(config) -> str:
    """OIDC_SCOPES, with `openid` always in: without it there is no ID token (and no nonce) to check."""
    names = config["OIDC_SCOPES"].split()
    return " ".join(names if "openid" in names else ["openid", *names])


def attach(app) -> None:
    """Give the app its own Authlib registry (the client itself is registered on first use)."""
    app.extensions[EXTENSION] = OAuth(app)


def oidc_client():
    """This app's client, registered on first use from its settings."""
    oauth = current_app.extensions.get(EXTENSION)
    if oauth is None:  # OIDC_ISSUER was not set when the app started
        raise OidcFailed("misconfigured", "OIDC_ISSUER was set after the app started: restart it")
    client = oauth.create_client(CLIENT_NAME)
    if client is None:
        config = current_app.config
        client = oauth.register(
            CLIENT_NAME,
            client_id=config["OIDC_CLIENT_ID"],
            client_secret=config["OIDC_CLIENT_SECRET"],
            server_metadata_url=discovery_url(config["OIDC_ISSUER"]),
            client_kwargs={"scope": scopes(config), "code_challenge_method": "S256",
                           "default_timeout": HTTP_TIMEOUT_SECONDS},
        )
    return client


def provider_metadata(client) -> dict:
    """The discovery document, once its issuer is the one configured (a document naming another
    issuer could vouch for that issuer's people here)."""
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        raise OidcFailed("unreachable", f"discovery document: {exc}") from exc
    configured = current_app.config["OIDC_ISSUER"].rstrip("/")
    if str(metadata.get("issuer", "")).rstrip("/") != configured:
        raise OidcFailed("misconfigured", f"the discovery document names issuer {metadata.get('issuer')!r}")
    return metadata


def redirect_to_provider(redirect_uri: str) -> Response:
    """Send the browser to the provider, with a fresh state, nonce and PKCE verifier kept in the session."""
    client = oidc_client()
    provider_metadata(client)
    try:
        return client.authorize_redirect(redirect_uri)
    except RuntimeError as exc:  # Authlib's word for a document without authorization_endpoint
        raise OidcFailed("misconfigured", str(exc)) from exc


def identity_from_callback() -> tuple[VerifiedIdentity, str | None]:
    """The identity the provider vouched for on this callback, and its sign-out address (or None)."""
    error = request.args.get("error")
    if error:  # the provider stopped the sign-in: the person said no, or it refused
        description = request.args.get("error_description") or ""
        raise OidcFailed("denied" if error == "access_denied" else "provider_error", f"{error} {description}")
    client = oidc_client()
    metadata = provider_metadata(client)
    config = current_app.config
    # Authlib checks iss only against the document and aud only loosely (azp): both are required here.
    claims_options = {"iss": {"essential": True, "values": [metadata["issuer"]]},
                      "aud": {"essential": True, "values": [config["OIDC_CLIENT_ID"]]}}
    try:
        token = client.authorize_access_token(claims_options=claims_options)
    except MismatchingStateError as exc:
        raise OidcFailed("state", "the state is missing, expired or not this browser's") from exc
    except OAuthError as exc:
        raise OidcFailed("token_refused", f"{exc.error} {exc.description or ''}") from exc
    except requests.RequestException as exc:  # the token endpoint or the keys could not be read
        raise OidcFailed("unreachable", str(exc)) from exc
    except (JoseError, AuthlibBaseError, ValueError) as exc:  # signature, nonce, iss, aud, times, or garbled
        raise OidcFailed("id_token_invalid", f"{type(exc).__name__}: {exc}") from exc
    except RuntimeError as exc:  # Authlib's word for a document without jwks_uri
        raise OidcFailed("misconfigured", str(exc)) from exc
    claims = token.get("userinfo")
    if not claims:  # no ID token: nothing was signed, so nothing is believed
        raise OidcFailed("id_token_invalid", "the token response had no ID token")
    return identity_from_claims(claims, config["OIDC_GROUPS_CLAIM"]), logout_url(metadata, token["id_token"])


def identity_from_claims(claims: dict, groups_claim: str) -> VerifiedIdentity:
    """What a checked ID token says. An email the provider marks unverified is not used to match anyone."""
    email = normal_email(claims.get("email")) if claims.get("email_verified") is not False else None
    groups = claims.get(groups_claim) or ()
    if isinstance(groups, str):  # one group sent as a plain string
        groups = (groups,)
    return VerifiedIdentity(protocol="oidc", issuer=claims["iss"], subject=str(claims["sub"]), email=email,
                            full_name=claims.get("name"), groups=tuple(str(g) for g in groups))


def logout_url(metadata: dict, id_token: str) -> str | None:
    """RP-initiated logout: the provider's end-session address, back to our sign-in page after."""
    endpoint = metadata.get("end_session_endpoint")
    if not endpoint:
        return None
    back = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/login"
    query = urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": back})
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

"""Is the OpenID Connect provider set up to work with PostReady? (`postready sso check`)

Reads the provider's discovery document and keys the way sign-in will, and says plainly what is wrong.
"""
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from app.sso.oidc import HTTP_TIMEOUT_SECONDS, discovery_url

SKEW_WARNING_SECONDS = 60
SKEW_ERROR_SECONDS = 120  # Authlib's leeway on an ID token's times: past it, sign-ins are refused


@dataclass(frozen=True)
class Finding:
    level: str  # "ok", "warning" or "error"
    text: str


def clock_skew(date_header: str | None, now: datetime) -> Finding | None:
    """How far this machine's clock is from the provider's (its HTTP Date header), when that matters."""
    if not date_header:
        return None
    try:
        theirs = parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        return None
    if theirs.tzinfo is None:
        theirs = theirs.replace(tzinfo=UTC)
    skew = abs((now - theirs).total_seconds())
    if skew <= SKEW_WARNING_SECONDS:
        return None
    level = "error" if skew > SKEW_ERROR_SECONDS else "warning"
    return Finding(level, f"this machine's clock is {skew:.0f} seconds away from the provider's: ID tokens "
                          f"may look expired or not yet valid. Set the clock (NTP) on this machine")


def _get_json(url: str, what: str) -> tuple[dict | None, requests.Response | None, Finding | None]:
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT_SECONDS, headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        return None, None, Finding("error", f"cannot reach the {what} at {url} ({type(exc).__name__}). Check "
                                            f"the address, and that this machine can reach it")
    if response.status_code != 200:
        return None, response, Finding("error", f"the {what} at {url} answered HTTP {response.status_code}, "
                                                f"not the document. Check the address")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return None, response, Finding("error", f"the {what} at {url} is not a JSON document")
    return body, response, None


def check_oidc(config, now: datetime) -> list[Finding]:
    issuer = config["OIDC_ISSUER"]
    found = []
    if not config.get("OIDC_CLIENT_ID"):
        found.append(Finding("error", "OIDC_CLIENT_ID is not set: set it to the client id the provider gave you"))
    if not config.get("OIDC_CLIENT_SECRET"):
        found.append(Finding("warning", "OIDC_CLIENT_SECRET is not set: most providers need it for the code "
                                        "exchange"))
    url = discovery_url(issuer)
    document, response, problem = _get_json(url, "discovery document")
    if problem:
        return [*found, problem]
    found.append(Finding("ok", f"read the discovery document at {url}"))
    skew = clock_skew(response.headers.get("Date"), now)
    if skew:
        found.append(skew)
    if str(document.get("issuer", "")).rstrip("/") != issuer.rstrip("/"):
        found.append(Finding("error", f"the provider says its issuer is {document.get('issuer')!r}, but OIDC_ISSUER "
                                      f"is {issuer!r}. Set OIDC_ISSUER to the provider's issuer"))
    else:
        found.append(Finding("ok", "the issuer matches OIDC_ISSUER"))
    missing = [key for key in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not document.get(key)]
    if missing:
        found.append(Finding("error", f"the discovery document has no {', '.join(missing)}: sign-in cannot work"))
    if "S256" not in (document.get("code_challenge_methods_supported") or []):
        found.append(Finding("warning", "the provider does not say it supports PKCE with S256; PostReady sends it "
                                        "anyway. If sign-in fails at the code exchange, turn PKCE on at the provider"))
    if not document.get("end_session_endpoint"):
        found.append(Finding("warning", "the provider has no end_session_endpoint: signing out of PostReady "
                                        "will not sign people out of the provider"))
    if document.get("jwks_uri"):
        found.extend(_check_keys(document["jwks_uri"]))
    return found


def _check_keys(jwks_uri: str) -> list[Finding]:
    keys, _response, problem = _get_json(jwks_uri, "key set")
    if problem:
        return [problem]
    if not keys.get("keys"):
        return [Finding("error", f"the key set at {jwks_uri} has no keys: no ID token could be checked")]
    try:
        KeySet.import_key_set(keys)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        return [Finding("error", f"the key set at {jwks_uri} cannot be read ({exc})")]
    return [Finding("ok", f"read {len(keys['keys'])} signing key(s) from {jwks_uri}")]

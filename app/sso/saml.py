"""SAML 2.0 sign-in with python3-saml in strict mode: our settings from app.config, the IdP's
metadata (a file, or fetched once per process), the AuthnRequest, and every check on the response.

Nothing here reads the request: the views pass in what they got. The session cookie is SameSite=Lax,
so the IdP's cross-site POST to the ACS arrives without it; what we need back (the request's ID and
where the person was going) travels in RelayState, signed with SECRET_KEY.
"""
import hmac
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

from itsdangerous import BadData, URLSafeTimedSerializer
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.authn_request import OneLogin_Saml2_Authn_Request
from onelogin.saml2.constants import OneLogin_Saml2_Constants as Saml
from onelogin.saml2.errors import OneLogin_Saml2_ValidationError
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML

from app.accounts.signin import safe_next
from app.sso import saml_rules
from app.sso.rules import VerifiedIdentity
from app.sso.saml_idp import SamlUnavailable, can_refresh, idp_data
from app.sso.saml_keys import SpKeyPair, load_or_create_sp_keys
from app.sso.saml_replay import MAX_ID_LENGTH, AssertionReplayed, remember_assertion
from app.sso.services import normal_email, sso_configured

RELAY_SALT = "saml-relay"
RELAY_MAX_AGE = 600  # seconds from leaving for the IdP to coming back


class SamlRejected(Exception):
    """The response (or its RelayState) is not accepted. `reason` is for the audit log, `message`
    for the person; `status` is 400 for what we cannot read, 403 for a proof we do not accept."""

    def __init__(self, reason: str, status: int = 403, message: str | None = None):
        super().__init__(reason)
        self.reason, self.status = reason[:500], status
        self.message = message or ("We could not confirm your sign-in with your hospital account. Go back to "
                                   "the sign-in page and try again.")


@dataclass(frozen=True)
class Relay:
    request_id: str
    next_url: str | None
    browser: str | None = None  # a digest of the cookie set in the browser that started the sign-in


def saml_configured(config) -> bool:
    return sso_configured(config)["saml"]


def sp_urls(config) -> tuple[str, str]:
    """(our entity id, our ACS URL): both under PUBLIC_BASE_URL, whatever host the request used."""
    base = config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/saml/metadata", f"{base}/saml/acs"


_keys_lock = threading.Lock()
_keys_cache: dict[tuple, SpKeyPair] = {}


def sp_keys(config) -> SpKeyPair:
    """Read (or make) once per process; read again if the files are replaced."""
    key_file, cert_file = config["SAML_SP_KEY_FILE"], config["SAML_SP_CERT_FILE"]
    with _keys_lock:
        stamp = tuple(os.stat(f).st_mtime_ns if os.path.exists(f) else None for f in (key_file, cert_file))
        cached = _keys_cache.get((key_file, cert_file, stamp))
        if cached is None:
            cached = load_or_create_sp_keys(key_file, cert_file, config["PUBLIC_BASE_URL"])
            stamp = tuple(os.stat(f).st_mtime_ns for f in (key_file, cert_file))
            _keys_cache.clear()
            _keys_cache[(key_file, cert_file, stamp)] = cached
        return cached


def _settings_dict(config, keys: SpKeyPair, idp: dict | None) -> dict:
    entity_id, acs_url = sp_urls(config)
    return {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": entity_id,
            "assertionConsumerService": {"url": acs_url, "binding": Saml.BINDING_HTTP_POST},
            "NameIDFormat": Saml.NAMEID_UNSPECIFIED,  # the IdP sends what it is set up to send
            "x509cert": keys.cert_pem,
            "privateKey": keys.key_pem,
        },
        **({"idp": idp} if idp else {}),
        "security": {
            "authnRequestsSigned": True,
            "wantAssertionsSigned": True,
            "wantMessagesSigned": False,       # most IdPs sign the assertion only; that is the part we use
            "wantNameId": True,
            "wantAttributeStatement": False,   # an IdP may send only a NameID
            "requestedAuthnContext": False,    # whatever way the hospital signs people in (MFA, smart card)
            "rejectDeprecatedAlgorithm": True,  # no SHA-1 signatures
            "signatureAlgorithm": Saml.RSA_SHA256,
            "digestAlgorithm": Saml.SHA256,
            "metadataValidUntil": keys.not_valid_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "allowSingleLabelDomains": True,   # an intranet host name such as http://postready/
        },
    }


def _settings(config, idp: dict | None = None) -> OneLogin_Saml2_Settings:
    return OneLogin_Saml2_Settings(_settings_dict(config, sp_keys(config), idp), sp_validation_only=idp is None)


def _request_data(config, post_data: dict | None = None) -> dict:
    """python3-saml compares Destination and Recipient with "the URL it was posted to": give it our
    ACS URL from PUBLIC_BASE_URL, not the Host header (a proxy may rewrite that)."""
    acs = urlsplit(sp_urls(config)[1])
    return {"https": "on" if acs.scheme == "https" else "off", "http_host": acs.netloc,
            "script_name": acs.path, "get_data": {}, "post_data": post_data or {}}


def sp_metadata_xml(config) -> str:
    settings = _settings(config)
    xml = settings.get_sp_metadata()
    errors = settings.validate_metadata(xml)
    if errors:
        raise RuntimeError(f"our SAML metadata does not validate: {', '.join(errors)}")
    return xml.decode() if isinstance(xml, bytes) else xml


def _relay_serializer(config) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(config["SECRET_KEY"], salt=RELAY_SALT)


def start_url(config, next_url: str | None, browser: str) -> str:
    """The IdP's address with a signed AuthnRequest (redirect binding). Raises SamlUnavailable.
    `browser`: the digest of a cookie only this browser holds, so the answer is accepted from it alone."""
    settings = _settings(config, idp_data(config))
    request = OneLogin_Saml2_Authn_Request(settings)
    relay = _relay_serializer(config).dumps({"id": request.get_id(), "next": safe_next(next_url),
                                             "browser": browser})
    auth = OneLogin_Saml2_Auth(_request_data(config), old_settings=settings)
    parameters = {"SAMLRequest": request.get_request(), "RelayState": relay}
    auth.add_request_signature(parameters, Saml.RSA_SHA256)
    return auth.redirect_to(settings.get_idp_sso_url(), parameters)


def read_relay(config, token: str | None) -> Relay:
    try:
        data = _relay_serializer(config).loads(token or "", max_age=RELAY_MAX_AGE)
        return Relay(str(data["id"]), data.get("next"), data.get("browser"))
    except (BadData, KeyError, TypeError) as exc:
        raise SamlRejected(f"RelayState is missing, changed or older than {RELAY_MAX_AGE} s ({exc})", 400,
                           "This sign-in took too long or was changed on the way. Go back to the sign-in "
                           "page and try again.") from exc


def _checked_response(config, idp: dict, form: dict, request_id: str) -> OneLogin_Saml2_Response:
    """python3-saml's checks (raises its ValidationError), or SamlRejected for what is no SAML response."""
    settings = _settings(config, idp)
    try:
        response = OneLogin_Saml2_Response(settings, form["SAMLResponse"])
        response.is_valid(_request_data(config, form), request_id=request_id, raise_exceptions=True)
        return response
    except OneLogin_Saml2_ValidationError:
        raise
    except Exception as exc:  # not base64, not XML, a broken encryption: a clear page, never a traceback
        raise SamlRejected(f"unreadable SAMLResponse: {exc.__class__.__name__}: {exc}", 400,
                           "The sign-in that came back could not be read. Go back to the sign-in page "
                           "and try again.") from exc


def _validated_response(config, form: dict, request_id: str) -> tuple[OneLogin_Saml2_Response, str]:
    """The response once python3-saml's checks pass, and the IdP's entity id."""
    if not form.get("SAMLResponse"):
        raise SamlRejected("no SAMLResponse in the POST", 400, "No sign-in came back from your hospital "
                           "account. Go back to the sign-in page and try again.")
    idp = idp_data(config)
    try:
        return _checked_response(config, idp, form, request_id), idp["entityId"]
    except OneLogin_Saml2_ValidationError as exc:
        if exc.code != OneLogin_Saml2_ValidationError.INVALID_SIGNATURE or not can_refresh(config):
            raise SamlRejected(str(exc)) from exc
    # The IdP may have a new certificate: read its metadata again, once.
    try:
        idp = idp_data(config, refresh=True)
        return _checked_response(config, idp, form, request_id), idp["entityId"]
    except (OneLogin_Saml2_ValidationError, SamlUnavailable) as exc:
        raise SamlRejected(str(exc)) from exc


def _subject(response: OneLogin_Saml2_Response) -> tuple[str, str | None, saml_rules.Attributes]:
    """The NameID, its format and the attributes (python3-saml refuses a missing NameID here)."""
    try:
        attributes = {name: [v for v in values if v] for name, values in response.get_attributes().items()}
        return response.get_nameid(), response.get_nameid_format(), attributes
    except OneLogin_Saml2_ValidationError as exc:
        raise SamlRejected(str(exc)) from exc


def _delivery(response: OneLogin_Saml2_Response) -> saml_rules.Delivery:
    """The facts delivery_problem checks. python3-saml has checked there is exactly one assertion."""
    document = response.get_xml_document()
    confirmations = tuple(
        saml_rules.Confirmation(data.get("Recipient"), data.get("InResponseTo"))
        for data in OneLogin_Saml2_XML.query(
            document, "/samlp:Response/saml:Assertion/saml:Subject/saml:SubjectConfirmation"
                      f"[@Method='{Saml.CM_BEARER}']/saml:SubjectConfirmationData"))
    return saml_rules.Delivery(document.get("Destination"), response.get_in_response_to(), confirmations,
                               tuple(response.get_audiences()))


def verified_identity(config, form: dict, now: datetime, browser: str | None) -> tuple[VerifiedIdentity, str | None]:
    """The identity the IdP vouched for and where the person was going; the assertion is recorded as
    used (the caller commits). Raises SamlRejected or SamlUnavailable.

    `browser`: the digest of this browser's sign-in cookie. An answer started in another browser is
    refused, so nobody can sign a victim's browser in to the attacker's own account (login CSRF)."""
    relay = read_relay(config, form.get("RelayState"))
    if not browser or not relay.browser or not hmac.compare_digest(relay.browser, browser):
        raise SamlRejected("the sign-in did not start in this browser (its sign-in cookie is missing or "
                           "another)", 403, "This sign-in did not start in this browser. Go back to the "
                           "sign-in page and sign in again.")
    response, issuer = _validated_response(config, form, relay.request_id)
    entity_id, acs_url = sp_urls(config)
    problem = saml_rules.delivery_problem(_delivery(response), acs_url, entity_id, relay.request_id)
    name_id, name_id_format, attributes = _subject(response)
    problem = problem or saml_rules.subject_problem(name_id, name_id_format)
    expires, assertion_id = response.get_assertion_not_on_or_after(), response.get_assertion_id()
    if problem is None and expires is None:
        problem = "the assertion's SubjectConfirmationData has no NotOnOrAfter"
    if problem is None and not 0 < len(assertion_id or "") <= MAX_ID_LENGTH:
        problem = f"the assertion ID is empty or longer than {MAX_ID_LENGTH} characters"
    if problem:
        raise SamlRejected(problem)
    identity = VerifiedIdentity(
        protocol="saml", issuer=issuer, subject=name_id.strip(),
        email=normal_email(saml_rules.raw_email(attributes, name_id, name_id_format)),
        full_name=saml_rules.full_name(attributes),
        groups=saml_rules.groups(attributes, config["SAML_GROUPS_ATTRIBUTE"]))
    # Kept past its NotOnOrAfter by the clock drift python3-saml allows on the assertion's Conditions.
    until = datetime.fromtimestamp(expires + Saml.ALLOWED_CLOCK_DRIFT, timezone.utc)
    try:
        remember_assertion(assertion_id, until, now)
    except AssertionReplayed as exc:
        raise SamlRejected(str(exc), 403, "This sign-in was already used. Go back to the sign-in page and "
                                          "sign in again.") from exc
    return identity, relay.next_url

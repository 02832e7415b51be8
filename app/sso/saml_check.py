"""Is SAML set up to work with PostReady? (for `postready sso check`)

Reads the IdP's metadata the way sign-in will, looks at our key and certificate without making them,
and says plainly what is wrong.
"""
import base64
import os
import stat
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from cryptography import x509

from app.sso.oidc_check import Finding
from app.sso.saml import sp_urls
from app.sso.saml_idp import SamlUnavailable, idp_data

CERT_WARNING_DAYS = 30


def saml_settings_lines(config) -> list[str]:
    """What the IdP's admin needs from us, and where our settings point."""
    entity_id, acs_url = sp_urls(config)
    source = config.get("SAML_IDP_METADATA_FILE") or config.get("SAML_IDP_METADATA_URL")
    return [f"IdP metadata: {source}",
            f"our metadata (give this address or file to the IdP's admin): {entity_id}",
            f"our entity id: {entity_id}",
            f"our ACS URL (Assertion Consumer Service, HTTP-POST binding): {acs_url}",
            f"our key and certificate: {config['SAML_SP_KEY_FILE']}, {config['SAML_SP_CERT_FILE']}",
            f"groups attribute: {config['SAML_GROUPS_ATTRIBUTE']}"]


def _expiry(cert: x509.Certificate, what: str, fix: str, now: datetime) -> Finding | None:
    left = cert.not_valid_after_utc - now
    if left <= timedelta(0):
        return Finding("error", f"{what} expired on {cert.not_valid_after_utc:%Y-%m-%d}. {fix}")
    if left < timedelta(days=CERT_WARNING_DAYS):
        return Finding("warning", f"{what} expires on {cert.not_valid_after_utc:%Y-%m-%d}. {fix}")
    return None


def _idp_findings(config, now: datetime) -> list[Finding]:
    try:
        idp = idp_data(config, refresh=True)
    except SamlUnavailable as exc:
        return [Finding("error", f"{exc}. Check SAML_IDP_METADATA_URL or SAML_IDP_METADATA_FILE")]
    found = [Finding("ok", f"read the IdP metadata: entity id {idp['entityId']}, sign-in address "
                           f"{idp['singleSignOnService']['url']}")]
    certs = [idp["x509cert"]] if idp.get("x509cert") else idp["x509certMulti"]["signing"]
    for text in certs:
        try:
            cert = x509.load_der_x509_certificate(base64.b64decode(text))
        except ValueError:
            found.append(Finding("error", "a signing certificate in the IdP metadata cannot be read"))
            continue
        problem = _expiry(cert, "the IdP's signing certificate", "Ask the IdP's admin for its new metadata", now)
        if problem:
            found.append(problem)
    return found


def _sp_findings(config, now: datetime) -> list[Finding]:
    key_file, cert_file = config["SAML_SP_KEY_FILE"], config["SAML_SP_CERT_FILE"]
    if not os.path.exists(key_file):
        return [Finding("ok", f"our key {key_file} will be made when our metadata is first read")]
    found = []
    if stat.S_IMODE(os.stat(key_file).st_mode) & 0o077:
        found.append(Finding("warning", f"others on this machine may read our key {key_file}: chmod 600 it"))
    if os.path.exists(cert_file):
        with open(cert_file, "rb") as fh:
            cert = x509.load_pem_x509_certificate(fh.read())
        problem = _expiry(cert, "our SAML certificate", f"Remove {key_file} and {cert_file}, then give the IdP's "
                                                          "admin our new metadata", now)
        if problem:
            found.append(problem)
    return found


def _https_or_loopback(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" or parts.hostname in ("localhost", "127.0.0.1", "::1")


def check_saml(config, now: datetime) -> list[Finding]:
    found = []
    try:
        import xmlsec  # noqa: F401  (fails when its libxml2 and lxml's differ)
    except Exception as exc:
        found.append(Finding("error", f"the xmlsec library does not load ({exc}). Install the xmlsec and lxml "
                                      "releases pyproject.toml names"))
    if not _https_or_loopback(config["PUBLIC_BASE_URL"]):
        found.append(Finding("warning", "PUBLIC_BASE_URL is not https: sign-ins would cross the network "
                                        "unencrypted. Serve PostReady over https"))
    url = config.get("SAML_IDP_METADATA_URL")
    if url and not config.get("SAML_IDP_METADATA_FILE") and not _https_or_loopback(url):
        found.append(Finding("warning", "SAML_IDP_METADATA_URL is not https: someone on the network could swap "
                                        "the IdP's certificate for their own. Use the https address"))
    return [*found, *_idp_findings(config, now), *_sp_findings(config, now)]

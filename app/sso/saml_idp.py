"""The IdP's metadata (its entity id, sign-in address and signing certificate).

From SAML_IDP_METADATA_FILE, read again when the file changes; or from SAML_IDP_METADATA_URL,
fetched once per process and again after a day. A failed fetch is not kept, so the next sign-in
tries again; a failed signature fetches again (the IdP may have rolled its certificate), at most
once every five minutes so a stream of forged responses cannot make us hammer the IdP.
"""
import copy
import os
import threading
import time

from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser as Parser

MAX_AGE = 24 * 3600
REFETCH_FLOOR = 300
FETCH_TIMEOUT = 10  # seconds; the person is waiting on the sign-in page


class SamlUnavailable(RuntimeError):
    """The IdP's metadata cannot be read or is missing something; the message says what (for the log)."""


_lock = threading.Lock()
_cache: dict[tuple, tuple[dict, float]] = {}  # source -> (the "idp" settings, when it was read)


def _source(config) -> tuple:
    path = config.get("SAML_IDP_METADATA_FILE")
    if path:
        try:
            return ("file", path, os.stat(path).st_mtime_ns)
        except OSError as exc:
            raise SamlUnavailable(f"cannot read SAML_IDP_METADATA_FILE {path}: {exc}") from exc
    return ("url", config["SAML_IDP_METADATA_URL"])


def idp_data(config, refresh: bool = False) -> dict:
    """A copy each time: python3-saml rewrites the settings it is given (the certificates as PEM)."""
    key = _source(config)
    with _lock:
        cached = _cache.get(key)
        if cached:
            age = time.monotonic() - cached[1]
            if (not refresh and age < MAX_AGE) or (refresh and age < REFETCH_FLOOR):
                return copy.deepcopy(cached[0])
        data = _load(key)
        _cache.clear()  # one IdP per app: an old source's copy is of no use
        _cache[key] = (data, time.monotonic())
        return copy.deepcopy(data)


def can_refresh(config) -> bool:
    """Whether fetching the metadata again might help: a URL, and a copy older than REFETCH_FLOOR."""
    key = _source(config)
    cached = _cache.get(key)
    return key[0] == "url" and (cached is None or time.monotonic() - cached[1] >= REFETCH_FLOOR)


def _load(key: tuple) -> dict:
    where = key[1]
    try:
        if key[0] == "file":
            with open(where, encoding="utf-8") as fh:
                xml = fh.read()
        else:
            xml = Parser.get_metadata(where, validate_cert=True, timeout=FETCH_TIMEOUT)
        idp = Parser.parse(xml).get("idp") or {}
    except Exception as exc:  # a network error, an HTTP error, a file that is not XML
        raise SamlUnavailable(f"cannot read the IdP metadata from {where}: {exc.__class__.__name__}: {exc}") from exc
    certs = idp.get("x509cert") or (idp.get("x509certMulti") or {}).get("signing")
    missing = [what for what, present in (("an entityID", idp.get("entityId")),
                                          ("a SingleSignOnService with the HTTP-Redirect binding",
                                           idp.get("singleSignOnService")),
                                          ("a signing certificate", certs)) if not present]
    if missing:
        raise SamlUnavailable(f"the IdP metadata from {where} has no {' and no '.join(missing)}")
    return idp

"""A real SAML 2.0 IdP on loopback (nanoidp), and a browser's trip through it.

nanoidp is a Flask app of its own, served by Werkzeug in a thread, signing assertions with a key
the test gives it (through signxml: a different XML-signature implementation from the xmlsec that
PostReady's python3-saml checks them with). nanoidp keeps one configuration per process, so a test
module starts it once. The test plays the browser: the Flask test client for PostReady's pages,
`requests` for the IdP's (its login form, then the form it would auto-post to our ACS).
"""
import base64
import contextlib
import html
import re
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote_plus, urlsplit

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree
from werkzeug.serving import make_server

PASSWORD = "idp-password"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
TIMEOUT = 10
NS = {"samlp": "urn:oasis:names:tc:SAML:2.0:protocol", "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
      "ds": "http://www.w3.org/2000/09/xmldsig#"}


@dataclass(frozen=True)
class Idp:
    base_url: str

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/saml/metadata"

    @property
    def sso_url(self) -> str:
        return f"{self.base_url}/saml/sso"

    @property
    def entity_id(self) -> str:
        return f"{self.base_url}/saml"


def _write_key(folder: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private, public = folder / "idp-key.pem", folder / "idp-public.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def _users_yaml(users: dict[str, dict]) -> str:
    lines = ["users:"]
    for name, facts in users.items():
        lines += [f"  {name}:", f'    password: "{PASSWORD}"', f'    email: "{facts["email"]}"']
        if facts.get("groups"):
            lines.append(f"    groups: [{', '.join(facts['groups'])}]")
        if facts.get("attributes"):
            lines.append("    attributes:")
            lines += [f'      {k}: "{v}"' for k, v in facts["attributes"].items()]
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def serve_idp(folder: Path, users: dict[str, dict], sp_certificate: str) -> Iterator[Idp]:
    """nanoidp on loopback with these users (name -> email, groups, attributes). It accepts only
    AuthnRequests signed with the key of `sp_certificate` (PostReady signs every one)."""
    from nanoidp.app import create_app

    app_holder = {}
    # Bound first, so the IdP's issuer (and so its entity id and SSO URL) can name the real port.
    server = make_server("localhost", 0, lambda env, start: app_holder["app"](env, start), threaded=True)
    idp = Idp(f"http://localhost:{server.server_port}")
    private, public = _write_key(folder)
    (folder / "settings.yaml").write_text(f"""
oauth:
  issuer: "{idp.base_url}"
saml:
  export_groups: true
  want_authn_requests_signed: true
  sp_certificates: ["{sp_certificate}"]
jwt:
  keys_dir: "{folder / 'keys'}"
  external_keys:
    private_key: "{private}"
    public_key: "{public}"
logging:
  level: WARNING
""")
    (folder / "users.yaml").write_text(_users_yaml(users))
    app_holder["app"] = create_app(str(folder))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield idp
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


@dataclass(frozen=True)
class IdpAnswer:
    """What nanoidp's auto-posting form would send to our ACS."""
    action: str
    saml_response: str   # base64, as posted
    relay_state: str

    def xml(self) -> etree._Element:
        return etree.fromstring(base64.b64decode(self.saml_response))

    def with_xml(self, root: etree._Element) -> "IdpAnswer":
        return IdpAnswer(self.action, base64.b64encode(etree.tostring(root)).decode(), self.relay_state)


def _hidden_fields(page: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in
            re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page)}


def edited_authn_request(idp: Idp, location: str, edit, sp_key_file: str) -> str:
    """PostReady's redirect with the AuthnRequest changed by `edit(root)` and signed again with the
    SP's key (Redirect binding: the signature covers the query string as sent)."""
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    root = etree.fromstring(zlib.decompress(base64.b64decode(params["SAMLRequest"]), -15))
    edit(root)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    request = base64.b64encode(packer.compress(etree.tostring(root)) + packer.flush()).decode()
    query = "&".join(f"{name}={quote_plus(value)}" for name, value in
                     (("SAMLRequest", request), ("RelayState", params["RelayState"]), ("SigAlg", RSA_SHA256)))
    with open(sp_key_file, "rb") as fh:
        key = serialization.load_pem_private_key(fh.read(), password=None)
    signature = base64.b64encode(key.sign(query.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    return f"{idp.sso_url}?{query}&Signature={quote_plus(signature)}"


def sign_in_at_idp(idp: Idp, location: str, username: str) -> IdpAnswer:
    """Follow PostReady's redirect to the IdP, sign in there, and return the IdP's answer."""
    assert location.startswith(idp.sso_url + "?"), location
    browser = requests.Session()  # a fresh IdP session: it asks for the password every time
    login_page = browser.get(location, timeout=TIMEOUT)  # it checks the AuthnRequest's signature here
    assert login_page.status_code == 200, login_page.text
    form = {**_hidden_fields(login_page.text), "username": username, "password": PASSWORD}
    answer = browser.post(idp.sso_url, data=form, timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', answer.text).group(1))
    fields = _hidden_fields(answer.text)
    return in_schema_order(IdpAnswer(action, fields["SAMLResponse"], fields["RelayState"]))


def in_schema_order(answer: IdpAnswer) -> IdpAnswer:
    """nanoidp 3.4.0 puts the assertion's ds:Signature last; the SAML schema (which python3-saml's
    strict mode enforces) wants it right after the assertion's Issuer, where real IdPs put it.
    Moving it changes nothing signed: the enveloped-signature transform leaves the Signature out of
    the digest wherever it stands, and nanoidp writes no whitespace between elements."""
    root = answer.xml()
    for assertion in root.iterfind("saml:Assertion", NS):
        signature = assertion.find("ds:Signature", NS)
        if signature is not None:
            assertion.remove(signature)
            assertion.find("saml:Issuer", NS).addnext(signature)
    return answer.with_xml(root)

"""Signing in with SAML 2.0, against a real IdP on loopback (nanoidp, tests/saml_idp.py).

Nothing of PostReady's is replaced: the app fetches the IdP's metadata over HTTP, sends a signed
AuthnRequest, and python3-saml (strict) checks the signed assertion the IdP returns. The attacks are
made the way an attacker would: by editing, stripping or replaying a real response.
"""
import base64
import json
import os
import stat
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
import requests
from cryptography import x509
from lxml import etree
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.sso import saml_rules
from app.sso.models import SamlAssertionSeen, SsoIdentity
from app.sso.saml_keys import load_or_create_sp_keys
from tests.saml_idp import NS, TIMEOUT, edited_authn_request, serve_idp, sign_in_at_idp

CONTACT = "the Compliance Office at extension 4040"
USERS = {
    "eli": {"email": "Eli@Test-Health.example", "groups": ["nurses"], "attributes": {"displayName": "Eli E."}},
    "stranger": {"email": "stranger@elsewhere.example"},
}


@pytest.fixture(scope="module")
def sp_keys(tmp_path_factory):
    """One SP key pair for the module (an RSA 3072 key takes a moment to make), made as the app does."""
    folder = tmp_path_factory.mktemp("sp")
    files = {"SAML_SP_KEY_FILE": str(folder / "saml-sp.key"), "SAML_SP_CERT_FILE": str(folder / "saml-sp.crt")}
    load_or_create_sp_keys(files["SAML_SP_KEY_FILE"], files["SAML_SP_CERT_FILE"], "http://localhost")
    return files


@pytest.fixture(scope="module")
def idp(tmp_path_factory, sp_keys):
    with serve_idp(tmp_path_factory.mktemp("idp"), USERS, sp_keys["SAML_SP_CERT_FILE"]) as running:
        yield running


@pytest.fixture
def saml(app, idp, sp_keys):
    app.config.update(SAML_IDP_METADATA_URL=idp.metadata_url, PUBLIC_BASE_URL="http://localhost",
                      SSO_CONTACT=CONTACT, **sp_keys)
    return idp


def events(action: str) -> list[dict]:
    return [json.loads(e.details) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


def leave_for_idp(client, next_url: str | None = None) -> str:
    response = client.get("/login/saml", query_string={"next": next_url} if next_url else None)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def post_to_acs(client, answer):
    assert answer.action == "http://localhost/saml/acs"
    return client.post(urlsplit(answer.action).path,
                       data={"SAMLResponse": answer.saml_response, "RelayState": answer.relay_state})


def answer_for(client, idp, username: str):
    return sign_in_at_idp(idp, leave_for_idp(client), username)


def signed_in(client) -> bool:
    return client.get("/rights").status_code == 200


def assert_refused(response, client, status: int, why: str):
    assert response.status_code == status
    assert "Sign-in did not work" in response.text and "Traceback" not in response.text
    assert why in events("sso.failed")[-1]["why"]
    assert not signed_in(client)


def test_first_sign_in_links_by_email_and_later_ones_match_the_name_id(app, client, people, saml):
    response = post_to_acs(client, sign_in_at_idp(saml, leave_for_idp(client, "/policy"), "eli"))
    assert response.status_code == 302 and response.headers["Location"] == "/policy"
    assert "Eli Employee" in client.get("/").text
    link = db.session.scalar(select(SsoIdentity).where(SsoIdentity.user_id == people.employee.id))
    assert (link.issuer, link.subject) == (saml.entity_id, "Eli@Test-Health.example")
    assert events("sso.linked")[-1]["email"] == "eli@test-health.example"

    people.employee.email = "eli.renamed@test-health.example"  # no longer the email the IdP sends
    db.session.commit()
    again = app.test_client()
    assert post_to_acs(again, answer_for(again, saml, "eli")).status_code == 302
    assert "Eli Employee" in again.get("/").text
    assert db.session.scalar(select(func.count()).select_from(SsoIdentity)) == 1


def test_an_edited_assertion_fails_its_signature(client, people, saml):
    answer = answer_for(client, saml, "stranger")
    root = answer.xml()
    for node in root.iterfind(".//saml:NameID", NS):
        node.text = "ada@test-health.example"  # claim to be the admin
    for node in root.iterfind(".//saml:AttributeValue", NS):
        node.text = "ada@test-health.example"
    assert_refused(post_to_acs(client, answer.with_xml(root)), client, 403, "Signature validation failed")


def test_a_replayed_assertion_is_refused(app, client, people, saml):
    long_gone = datetime.now(timezone.utc) - timedelta(minutes=1)
    db.session.add(SamlAssertionSeen(assertion_id="_expired-long-ago", expires_at=long_gone))
    db.session.commit()
    answer = answer_for(client, saml, "eli")
    cookie = client.get_cookie("postready_saml", path="/saml/acs").value  # captured along with the answer
    assert post_to_acs(client, answer).status_code == 302
    assert db.session.get(SamlAssertionSeen, answer.xml().find("saml:Assertion", NS).get("ID")) is not None
    assert db.session.get(SamlAssertionSeen, "_expired-long-ago") is None  # swept on the way

    attacker = app.test_client()
    attacker.set_cookie("postready_saml", cookie, path="/saml/acs")
    response = post_to_acs(attacker, answer)
    assert_refused(response, attacker, 403, "already used")
    assert "already used" in response.text


def test_an_answer_started_in_another_browser_is_refused(app, client, people, saml):
    """Login CSRF: an attacker's own fresh, unused answer posted from the victim's browser."""
    answer = answer_for(client, saml, "eli")
    victim = app.test_client()
    response = post_to_acs(victim, answer)
    assert_refused(response, victim, 403, "did not start in this browser")
    assert post_to_acs(client, answer).status_code == 302  # still good where it started


def test_an_expired_assertion_is_refused(client, people, saml, monkeypatch):
    import nanoidp.routes.saml as nanoidp_saml

    class SlowClock(datetime):  # the IdP's clock: 20 minutes behind (its assertions last 5)
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz) - timedelta(minutes=20)

    monkeypatch.setattr(nanoidp_saml, "datetime", SlowClock)
    answer = answer_for(client, saml, "eli")
    monkeypatch.undo()
    assert_refused(post_to_acs(client, answer), client, 403, "expired")


def test_an_assertion_for_another_audience_is_refused(client, people, saml, sp_keys):
    def another_sp(request):  # the IdP is asked on behalf of another service provider
        request.find("saml:Issuer", NS).text = "https://other-app.example/saml/metadata"

    location = edited_authn_request(saml, leave_for_idp(client), another_sp, sp_keys["SAML_SP_KEY_FILE"])
    answer = sign_in_at_idp(saml, location, "eli")
    assert answer.xml().find(".//saml:Audience", NS).text == "https://other-app.example/saml/metadata"
    assert_refused(post_to_acs(client, answer), client, 403, "not a valid audience")


def test_an_unsigned_assertion_is_refused(client, people, saml):
    answer = answer_for(client, saml, "eli")
    root = answer.xml()
    for signature in root.iterfind(".//ds:Signature", NS):
        signature.getparent().remove(signature)
    assert_refused(post_to_acs(client, answer.with_xml(root)), client, 403, "not signed")


def test_a_person_matching_no_one_is_refused(client, people, saml):
    response = post_to_acs(client, answer_for(client, saml, "stranger"))
    assert response.status_code == 403
    assert "not set up in PostReady yet" in response.text and CONTACT in response.text
    assert events("sso.refused")[-1]["email"] == "stranger@elsewhere.example"
    assert not signed_in(client)


def test_a_changed_or_missing_relay_state_is_a_clear_400(client, people, saml):
    answer = answer_for(client, saml, "eli")
    response = client.post("/saml/acs", data={"SAMLResponse": answer.saml_response, "RelayState": "forged"})
    assert_refused(response, client, 400, "RelayState")
    assert_refused(client.post("/saml/acs", data={"RelayState": answer.relay_state}), client, 400, "no SAMLResponse")
    junk = client.post("/saml/acs", data={"SAMLResponse": "bm90IHhtbA==", "RelayState": answer.relay_state})
    assert_refused(junk, client, 400, "unreadable SAMLResponse")


def test_the_metadata_names_our_urls_and_the_certificate_of_our_key(saml, sp_keys, client):
    response = client.get("/saml/metadata")
    assert response.status_code == 200 and response.mimetype == "application/samlmetadata+xml"
    root = etree.fromstring(response.data)
    md = {"md": "urn:oasis:names:tc:SAML:2.0:metadata", **NS}
    assert root.get("entityID") == "http://localhost/saml/metadata"
    descriptor = root.find("md:SPSSODescriptor", md)
    assert descriptor.get("WantAssertionsSigned") == "true"
    assert descriptor.find("md:AssertionConsumerService", md).get("Location") == "http://localhost/saml/acs"
    published = descriptor.find(".//ds:X509Certificate", md).text
    with open(sp_keys["SAML_SP_CERT_FILE"], "rb") as fh:
        on_disk = x509.load_pem_x509_certificate(fh.read())
    assert x509.load_der_x509_certificate(base64.b64decode(published)) == on_disk
    assert on_disk.not_valid_after_utc > datetime.now(timezone.utc) + timedelta(days=365)
    assert stat.S_IMODE(os.stat(sp_keys["SAML_SP_KEY_FILE"]).st_mode) == 0o600


def test_the_routes_are_not_found_without_saml_settings(client):
    assert client.get("/saml/metadata").status_code == 404
    assert client.get("/login/saml").status_code == 404
    assert client.post("/saml/acs").status_code == 404


def test_the_authn_request_carries_a_signature_the_idp_checks(client, saml):
    location = leave_for_idp(client, "/policy")
    assert "SigAlg=" in location and "Signature=" in location
    assert requests.get(location, timeout=TIMEOUT).status_code == 200
    forged = location.replace("RelayState=", "RelayState=x")  # the signature no longer covers it
    assert requests.get(forged, timeout=TIMEOUT).status_code == 400


def test_the_idp_metadata_can_be_a_file(app, client, people, saml, tmp_path):
    metadata = tmp_path / "idp-metadata.xml"
    metadata.write_bytes(requests.get(saml.metadata_url, timeout=TIMEOUT).content)
    app.config.update(SAML_IDP_METADATA_URL=None, SAML_IDP_METADATA_FILE=str(metadata))
    assert post_to_acs(client, answer_for(client, saml, "eli")).status_code == 302
    assert signed_in(client)


def test_an_unreachable_idp_is_a_clear_503(app, client, saml):
    app.config.update(SAML_IDP_METADATA_URL="http://127.0.0.1:9/saml/metadata")  # the discard port: refused
    response = client.get("/login/saml")
    assert response.status_code == 503 and "Wait a few minutes" in response.text


def delivery(**changes) -> saml_rules.Delivery:
    good = {"destination": ACS, "in_response_to": "_req", "audiences": (ENTITY,),
            "confirmations": (saml_rules.Confirmation(ACS, "_req"),)}
    return saml_rules.Delivery(**{**good, **changes})


ACS, ENTITY = "https://postready.example/saml/acs", "https://postready.example/saml/metadata"


@pytest.mark.parametrize("changes, why", [
    ({}, None),
    ({"destination": None}, None),  # optional on an unsigned Response; the signed Recipient is checked
    ({"destination": ACS + "/elsewhere"}, "Destination"),
    ({"in_response_to": None}, "InResponseTo"),  # unsolicited: we never asked for it
    ({"in_response_to": "_other"}, "InResponseTo"),
    ({"confirmations": ()}, "bearer"),
    ({"confirmations": (saml_rules.Confirmation(None, "_req"),)}, "Recipient"),
    ({"confirmations": (saml_rules.Confirmation(ACS + "x", "_req"),)}, "Recipient"),
    ({"confirmations": (saml_rules.Confirmation(ACS, "_other"),)}, "InResponseTo"),
    ({"confirmations": (saml_rules.Confirmation(ACS, None),)}, None),
    ({"audiences": ()}, "audience"),
])
def test_delivery_checks_are_exact(changes, why):
    problem = saml_rules.delivery_problem(delivery(**changes), ACS, ENTITY, "_req")
    assert (problem is None) if why is None else (why in problem)


def test_the_person_details_come_from_the_usual_attribute_names():
    attributes = {"urn:oid:2.5.4.42": ["Eli"], "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname": ["E"],
                  "mail": ["", "eli@test-health.example"], "groups": [" nurses ", ""]}
    assert saml_rules.full_name(attributes) == "Eli E"
    assert saml_rules.raw_email(attributes, "x", None) == "eli@test-health.example"
    assert saml_rules.raw_email({}, "eli@x.example", saml_rules.NAMEID_EMAIL) == "eli@x.example"
    assert saml_rules.raw_email({}, "eli@x.example", None) is None
    assert saml_rules.groups(attributes, "groups") == ("nurses",)
    assert "transient" in saml_rules.subject_problem("abc", saml_rules.NAMEID_TRANSIENT)
    assert saml_rules.subject_problem("abc", None) is None


def test_the_check_reads_the_idp_metadata_and_our_files(app, saml, sp_keys):
    from app.sso.saml_check import check_saml, saml_settings_lines

    now = datetime.now(timezone.utc)
    found = check_saml(app.config, now)
    assert [f.level for f in found] == ["ok"], found
    assert saml.entity_id in found[0].text and saml.sso_url in found[0].text
    assert "our ACS URL (Assertion Consumer Service, HTTP-POST binding): http://localhost/saml/acs" \
        in saml_settings_lines(app.config)

    os.chmod(sp_keys["SAML_SP_KEY_FILE"], 0o644)
    try:
        later = [f.text for f in check_saml(app.config, now + timedelta(days=365 * 11))]  # both 10-year certs
    finally:
        os.chmod(sp_keys["SAML_SP_KEY_FILE"], 0o600)
    assert any("chmod 600" in text for text in later)
    assert any("the IdP's signing certificate expired" in text for text in later)
    assert any("our SAML certificate expired" in text for text in later)

    app.config.update(SAML_IDP_METADATA_URL="http://127.0.0.1:9/saml/metadata")
    assert check_saml(app.config, now)[0].level == "error"


def test_sso_check_reports_saml(cli, saml):
    result = cli("sso", "check")
    assert "SAML:\n" in result.output and "/saml/acs" in result.output, result.output


def test_a_site_without_saml_never_loads_its_xml_libraries(app):
    """python3-saml, lxml and xmlsec cost each web worker memory: only a site that signs in with SAML pays."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys; from app import create_app; "
            "app = create_app({'TESTING': True, 'SECRET_KEY': 'k' * 40, 'SQLALCHEMY_DATABASE_URI': 'sqlite://'}); "
            "app.test_client().get('/saml/metadata'); "
            "print(sorted(m for m in ('onelogin', 'lxml', 'xmlsec') if m in sys.modules))")
    env = {name: value for name, value in os.environ.items() if not name.startswith("SAML_")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env,
                            cwd=Path(__file__).resolve().parents[1])
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stderr

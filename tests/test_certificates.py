"""Certificates: earned automatically, signed, stored as PDF once, verifiable, revocable."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.certificates import rules
from app.certificates.issuing import issue_earned_certificates
from app.certificates.models import Certificate, CertificatePdf, CertificateRevocation
from app.certificates.services import revoke_certificate, signing_key
from app.certificates.signing import load_public_key, verify_signature
from app.extensions import db
from app.timestamps import utcnow
from tests.conftest import csrf_token
from tests.factories import certify, pass_module

NOW = utcnow()


def certificates(user) -> dict[str, list[Certificate]]:
    result: dict[str, list[Certificate]] = {}
    for c in db.session.scalars(select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.cycle)):
        result.setdefault(c.certification_slug, []).append(c)
    return result


def test_core_certificate_is_issued_the_moment_the_last_core_module_is_passed(course, people):
    pass_module(people.employee, "privacy", NOW)
    assert certificates(people.employee) == {}
    pass_module(people.employee, "instagram", NOW)
    assert certificates(people.employee) == {}  # Instagram needs the core certification first
    pass_module(people.employee, "replies", NOW)
    held = certificates(people.employee)
    assert set(held) == {"core", "instagram"}
    core = held["core"][0]
    assert core.holder_name == "Eli Employee" and core.cycle == 1
    assert core.expires_at == core.issued_at + timedelta(days=365)
    assert [m["slug"] for m in core.modules] == ["privacy", "replies"]
    assert len(core.code) == 32  # 160 random bits in Crockford base32 (app.certificates.codes)


def test_signature_verifies_and_a_flipped_byte_fails(course, people):
    certify(people.employee, NOW)
    core = certificates(people.employee)["core"][0]
    public = load_public_key(signing_key().public_pem())
    assert verify_signature(public, core.payload, core.signature)
    payload = json.loads(core.payload)
    assert payload["holder"] == "Eli Employee" and payload["code"] == core.code
    tampered = core.payload.replace("Eli Employee", "Eve Employee")
    assert not verify_signature(public, tampered, core.signature)
    flipped = core.payload[:10] + chr(ord(core.payload[10]) ^ 1) + core.payload[11:]
    assert not verify_signature(public, flipped, core.signature)


def test_pdf_is_stored_once_and_downloads_are_byte_identical(client, course, people, login):
    certify(people.employee, NOW)
    core = certificates(people.employee)["core"][0]
    stored = db.session.get(CertificatePdf, core.id)
    assert stored.content.startswith(b"%PDF") and stored.template_version
    login(people.employee)
    first = client.get(f"/certificates/{core.id}/pdf")
    second = client.get(f"/certificates/{core.id}/pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data == second.data == stored.content


def test_a_pdf_missing_after_a_crash_is_rendered_once_at_first_download(client, course, people, login):
    # The quiz view commits the certificate, then renders its PDF; a process that dies in between
    # leaves a certificate without one. Nothing is lost: the first download renders and stores it.
    for slug in ("privacy", "replies"):
        pass_module(people.employee, slug, NOW, render_pdfs=False)
    core = certificates(people.employee)["core"][0]
    assert db.session.get(CertificatePdf, core.id) is None
    db.session.commit()
    login(people.employee)
    first = client.get(f"/certificates/{core.id}/pdf")
    assert first.status_code == 200 and first.data.startswith(b"%PDF")
    assert client.get(f"/certificates/{core.id}/pdf").data == first.data
    stored = db.session.get(CertificatePdf, core.id)
    assert stored.content == first.data and stored.template_version


def test_only_holder_their_managers_and_admins_may_download(app, course, people, login, client):
    certify(people.employee, NOW)
    core_id = certificates(people.employee)["core"][0].id
    for person, expected in [(people.employee, 200), (people.manager, 200), (people.admin, 200),
                             (people.other_manager, 404), (people.other_employee, 404), (people.indirect, 404)]:
        c = app.test_client()
        c.post("/login", data={"email": person.email, "password": "correct horse battery staple",
                               "csrf_token": csrf_token(c)})
        assert c.get(f"/certificates/{core_id}/pdf").status_code == expected, person.email
    assert app.test_client().get(f"/certificates/{core_id}/pdf").status_code == 302  # anonymous: sign in


def test_downloads_by_others_are_audited_and_the_holders_own_are_not(app, course, people):
    from app.audit.models import AuditEvent

    certify(people.employee, NOW)
    core_id = certificates(people.employee)["core"][0].id

    def downloads() -> list[str]:
        db.session.rollback()  # a fresh read, after the other requests committed
        return list(db.session.scalars(select(AuditEvent.actor_label)
                                       .where(AuditEvent.action == "export.downloaded",
                                              AuditEvent.subject_id == str(core_id))))

    for person in (people.employee, people.manager):
        c = app.test_client()
        c.post("/login", data={"email": person.email, "password": "correct horse battery staple",
                               "csrf_token": csrf_token(c)})
        assert c.get(f"/certificates/{core_id}/pdf").status_code == 200
    assert downloads() == [f"user:{people.manager.id}"]


def test_public_verification_page_and_json(client, course, people):
    certify(people.employee, NOW)
    core = certificates(people.employee)["core"][0]
    page = client.get(f"/verify/{core.code}")
    assert page.status_code == 200 and "Valid certificate" in page.text and "Eli Employee" in page.text
    data = client.get(f"/verify/{core.code}.json").json
    assert data["status"] == "valid" and data["payload"] == core.payload
    public = load_public_key(client.get("/certificates/public-key.pem").data)
    assert verify_signature(public, data["payload"], data["signature"])


@pytest.mark.parametrize("code", ["x", "A" * 27, "not a code!", "A" * 200, "..", "%00"])
def test_unknown_codes_get_the_same_404(client, course, code):
    response = client.get(f"/verify/{code}")
    assert response.status_code == 404
    assert "No certificate matches" in response.text
    assert 'action="/verify"' in response.text  # a form to type the code again


def test_unknown_and_malformed_codes_are_indistinguishable(client, course):
    a, b = client.get("/verify/" + "A" * 27), client.get("/verify/short")
    assert a.status_code == b.status_code == 404
    a_text, b_text = (r.text.replace("<wbr>", "") for r in (a, b))  # line break opportunities in the code
    assert a_text.replace("A" * 27, "CODE") == b_text.replace("short", "CODE")


def test_the_lookup_form_takes_a_code_or_a_pasted_address(client, course, people):
    certify(people.employee, NOW, platforms=())
    code = db.session.scalar(select(Certificate.code).where(Certificate.user_id == people.employee.id))
    assert "Check a certificate" in client.get("/verify").text
    for typed in (code, f" {code} ", f"https://postready.example.org/verify/{code}"):
        response = client.get("/verify", query_string={"code": typed})
        assert response.status_code == 302 and response.headers["Location"] == f"/verify/{code}"


def test_verification_is_rate_limited(app, client, course, people):
    app.config["VERIFY_RATE_LIMIT"] = "5 per minute"
    statuses = [client.get("/verify/" + "B" * 27).status_code for _ in range(7)]
    assert statuses[:5] == [404] * 5 and statuses[5:] == [429, 429]


def test_revocation_shows_at_once(client, course, people, login):
    certify(people.employee, NOW)
    core = certificates(people.employee)["core"][0]
    login(people.admin)
    response = client.post(f"/certificates/{core.id}/revoke",
                           data={"reason": "Posted a patient photo",
                                 "csrf_token": csrf_token(client, f"/certificates/{core.id}")})
    assert response.status_code == 302
    assert "Revoked certificate" in client.get(f"/verify/{core.code}").text
    assert client.get(f"/verify/{core.code}.json").json["status"] == "revoked"
    again = client.post(f"/certificates/{core.id}/revoke",
                        data={"reason": "twice over", "csrf_token": csrf_token(client, f"/certificates/{core.id}")})
    assert again.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(CertificateRevocation)) == 1


def test_managers_cannot_revoke(client, course, people, login):
    certify(people.employee, NOW)
    core = certificates(people.employee)["core"][0]
    login(people.manager)
    response = client.post(f"/certificates/{core.id}/revoke",
                           data={"reason": "Not my call", "csrf_token": csrf_token(client, "/")})
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(CertificateRevocation)) == 0


def test_recertifying_issues_the_next_cycle_and_keeps_history(course, people):
    certify(people.employee, NOW - timedelta(days=340))
    first = certificates(people.employee)["core"][0]
    # Passing again while well inside validity issues nothing new.
    pass_module(people.employee, "privacy", NOW - timedelta(days=300))
    pass_module(people.employee, "replies", NOW - timedelta(days=300))
    assert len(certificates(people.employee)["core"]) == 1
    # Inside the 30-day renewal window, fresh completions earn cycle 2.
    pass_module(people.employee, "privacy", NOW)
    pass_module(people.employee, "replies", NOW)
    core = certificates(people.employee)["core"]
    assert [c.cycle for c in core] == [1, 2] and core[0].code == first.code
    assert core[1].expires_at == NOW + timedelta(days=365)


def test_issue_is_idempotent(course, people):
    certify(people.employee, NOW)
    assert issue_earned_certificates(people.employee, NOW) == []
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 2


def test_revoke_service_requires_admin_and_reason(course, people):
    from app.certificates.services import CertificateError

    certify(people.employee, NOW)
    core = certificates(people.employee)["core"][0]
    with pytest.raises(CertificateError):
        revoke_certificate(people.manager, core, "because I say so", NOW)
    with pytest.raises(CertificateError, match="reason"):
        revoke_certificate(people.admin, core, " ", NOW)


def test_offline_verify_command(app, cli, course, people, tmp_path):
    certify(people.employee, NOW)
    core = certificates(people.employee)["core"][0]
    record = tmp_path / "record.json"
    record.write_text(json.dumps({"payload": core.payload, "signature": core.signature}))
    key = tmp_path / "key.pem"
    key.write_text(signing_key().public_pem())
    ok = cli("certificates", "verify", str(record), "--public-key", str(key))
    assert ok.exit_code == 0 and "VALID signature" in ok.output
    record.write_text(json.dumps({"payload": core.payload.replace('"cycle":1', '"cycle":2'),
                                  "signature": core.signature}))
    bad = cli("certificates", "verify", str(record), "--public-key", str(key))
    assert bad.exit_code == 1 and "INVALID" in bad.output


# --- pure rules -------------------------------------------------------------------------

def test_status_rule():
    later = NOW + timedelta(days=1)
    assert rules.certificate_status(later, None, NOW) == "valid"
    assert rules.certificate_status(NOW, None, NOW) == "expired"
    assert rules.certificate_status(later, NOW, NOW) == "revoked"
    assert rules.certificate_status(later, later, NOW) == "valid"


def test_eligibility_rule():
    core = rules.CertificationRule("core", ("a", "b"), ())
    ig = rules.CertificationRule("ig", ("i",), ("core",))
    window = timedelta(days=30)
    assert rules.eligibility(core, {"a": NOW}, [], NOW, window).missing_modules == ("b",)
    assert rules.eligibility(core, {"a": NOW, "b": NOW}, [], NOW, window).earned
    held = [rules.HeldCertificate("core", NOW, NOW + timedelta(days=365))]
    assert rules.eligibility(core, {"a": NOW, "b": NOW}, held, NOW, window).already_current
    assert rules.eligibility(ig, {"i": NOW}, [], NOW, window).missing_certifications == ("core",)
    assert rules.eligibility(ig, {"i": NOW}, held, NOW, window).earned
    expired = [rules.HeldCertificate("core", NOW - timedelta(days=400), NOW - timedelta(days=35))]
    stale = {"a": NOW - timedelta(days=401), "b": NOW - timedelta(days=401)}
    assert rules.eligibility(core, stale, expired, NOW, window).missing_modules == ("a", "b")



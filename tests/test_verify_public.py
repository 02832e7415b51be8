"""Verification for the public (issue 27): codes shown in groups of four, typed back with or without
separators and (new codes only) in any case, one 404 for every unknown code, an icon for every status."""
import base64
import html
import json
import re
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.certificates import codes
from app.certificates.models import Certificate, CertificatePdf
from app.certificates.notices import notice_mail
from app.certificates.pdf import render_certificate_pdf
from app.certificates.services import revoke_certificate, signing_key
from app.extensions import db
from app.timestamps import utcnow
from tests.factories import certify
from tests.test_certificate_pdf import document
from tests.tools import need_tool

NOW = utcnow()
OLD_CODE = "Ab-d_fGhijKLmnOPqrsTUvwxy-Z"  # secrets.token_urlsafe(20)'s shape: 27 characters, case and - _ matter


# ---- The codes themselves (pure) -------------------------------------------------------------------

def test_a_new_code_is_160_random_bits_in_crockford_base32():
    made = {codes.new_code() for _ in range(200)}
    assert len(made) == 200
    for code in made:
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{32}", code)  # no I, L, O, U; no small letters
        rfc4648 = code.translate(str.maketrans(codes.CROCKFORD, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"))
        assert len(base64.b32decode(rfc4648)) == 20


def test_codes_are_shown_in_groups_of_four():
    assert codes.grouped("ZNHFPZ33JH9CV40BMC073D3F15Y3DX1W") == "ZNHF-PZ33-JH9C-V40B-MC07-3D3F-15Y3-DX1W"
    assert codes.grouped(OLD_CODE) == "Ab-d _fGh ijKL mnOP qrsT Uvwx y-Z"  # - is part of older codes: spaces
    assert str(codes.grouped_html("ZNHFPZ33JH9CV40BMC073D3F15Y3DX1W")).startswith("ZNHF-<wbr>PZ33-<wbr>JH9C")


@pytest.mark.parametrize("typed", [
    "ZNHFPZ33JH9CV40BMC073D3F15Y3DX1W",
    "ZNHF-PZ33-JH9C-V40B-MC07-3D3F-15Y3-DX1W",
    "znhf pz33 jh9c v40b mc07 3d3f 15y3 dx1w",
    " Znhf–PZ33 - jh9c\u00a0V4OB-MCO7-3D3F-15Y3-DXlW ",  # en dash, no-break space, O for 0, l for 1
    "ZNHF-\u200bPZ33-JH9C-V40B-MC07-3D3F-15Y3-DX1W",  # an invisible character from a copy
])
def test_a_new_code_typed_any_way_means_that_code(typed):
    assert "ZNHFPZ33JH9CV40BMC073D3F15Y3DX1W" in codes.candidates(typed)


def test_an_older_code_is_matched_exactly_but_for_its_group_separators():
    for typed in (OLD_CODE, "Ab-d _fGh ijKL mnOP qrsT Uvwx y-Z", "Ab-d-_fGh-ijKL-mnOP-qrsT-Uvwx-y-Z"):
        assert OLD_CODE in codes.candidates(typed), typed
    for typed in (OLD_CODE.lower(), OLD_CODE.upper(), OLD_CODE.replace("-", ""), OLD_CODE.replace("_", "-")):
        assert OLD_CODE not in codes.candidates(typed), typed


def test_what_is_typed_is_repeated_back_short_and_printable():
    assert codes.no_match_message("  abcd   efgh ") == "No certificate matches abcd efgh"
    assert codes.no_match_message("a\x00b") == "No certificate matches a b"
    assert len(codes.as_typed("x" * 500)) == codes.MESSAGE_CHARS and codes.as_typed("x" * 500).endswith("…")
    assert codes.candidates("A" * 500) == []


# ---- Certificates in the database -------------------------------------------------------------------

def _core(user) -> Certificate:
    return db.session.scalar(select(Certificate).where(Certificate.user_id == user.id,
                                                       Certificate.certification_slug == "core"))


def _older_certificate(source: Certificate, holder, code: str) -> Certificate:
    """A genuine certificate as issued before new codes: signed, with a token_urlsafe-shaped code."""
    payload = {**json.loads(source.payload), "code": code, "holder": holder.full_name, "holder_id": holder.id}
    signed = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    columns = {c.key: getattr(source, c.key) for c in Certificate.__table__.columns if c.key != "id"}
    row = Certificate(**{**columns, "code": code, "user_id": holder.id, "holder_name": holder.full_name,
                         "payload": signed, "signature": signing_key().sign(signed)})
    db.session.add(row)
    db.session.commit()
    return row


def test_new_certificates_get_new_codes_and_sign_them_as_stored(course, people):
    certify(people.employee, NOW, platforms=())
    core = _core(people.employee)
    assert codes.is_new_style(core.code)
    assert json.loads(core.payload)["code"] == core.code  # no separators in what is signed


def test_a_new_code_typed_in_groups_and_small_letters_opens_its_page(client, course, people):
    certify(people.employee, NOW, platforms=())
    code = _core(people.employee).code
    typed = codes.grouped(code).lower().replace("-", " ")
    response = client.get("/verify", query_string={"code": typed}, follow_redirects=True)
    assert response.status_code == 200 and response.request.path == f"/verify/{code}"  # the QR code's address
    assert "Valid certificate" in response.text and "Eli Employee" in response.text
    assert [r.status_code for r in response.history] == [302, 302]
    checks = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "certificate.verified")
    assert db.session.scalar(checks) == 1  # the redirect is no check of its own
    data = client.get(f"/verify/{codes.grouped(code).lower()}.json").json
    assert data["status"] == "valid" and data["code"] == code


def test_older_codes_still_verify_exactly_and_case_tells_them_apart(client, course, people):
    certify(people.employee, NOW, platforms=())
    source = _core(people.employee)
    twin = OLD_CODE.swapcase()  # another certificate whose code differs only in case
    _older_certificate(source, people.other_employee, OLD_CODE)
    _older_certificate(source, people.indirect, twin)
    for typed, holder in ((OLD_CODE, "Olga Other"), (codes.grouped(OLD_CODE), "Olga Other"),
                          ("Ab-d-_fGh-ijKL-mnOP-qrsT-Uvwx-y-Z", "Olga Other"), (twin, "Ivy Indirect")):
        response = client.get("/verify", query_string={"code": typed}, follow_redirects=True)
        assert response.status_code == 200 and holder in response.text, typed
        assert "Valid certificate" in response.text
    assert client.get(f"/verify/{twin}.json").json["holder"] == "Ivy Indirect"
    assert client.get(f"/verify/{OLD_CODE.lower()}").status_code == 404  # never the nearest in another case


def _pdf_code_lines(content: bytes, tmp_path) -> tuple[list[str], str]:
    """The lines the PDF prints its code on, and all its text."""
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(content)
    text = subprocess.run([need_tool("pdftotext", "poppler-utils"), "-raw", "-enc", "UTF-8", str(pdf), "-"],
                          check=True, capture_output=True, text=True).stdout  # -raw: as drawn, hyphens kept
    return re.search(r"CERTIFICATE CODE\n((?:[0-9A-Za-z_ -]+\n)+?)(?:POLICY|Verify)", text).group(1).splitlines(), text


def test_the_pdf_breaks_a_code_between_groups_only(app, tmp_path):
    # A hyphen before a digit is no line break opportunity by itself: this code, whose every group
    # starts with a digit, was once broken inside a group.
    code = "0S4B1PQR2TZN7FGV225H3AHV4M703K4F"
    lines, _ = _pdf_code_lines(render_certificate_pdf(document(code=code)), tmp_path)
    assert len(lines) > 1 and "".join(lines) == codes.grouped(code)
    assert all(re.fullmatch(r"(?:[0-9A-Z]{4}-)*[0-9A-Z]{4}-?", line) for line in lines), lines
    old = "".join(_pdf_code_lines(render_certificate_pdf(document(code=OLD_CODE)), tmp_path)[0])
    assert old.replace(" ", "") == OLD_CODE.replace(" ", "")


def test_codes_are_shown_in_groups_wherever_people_see_them(client, course, people, login, cli, tmp_path):
    certify(people.employee, NOW, platforms=())
    core = _core(people.employee)
    shown = codes.grouped(core.code)
    assert str(codes.grouped_html(core.code)) in client.get(f"/verify/{core.code}").text
    login(people.employee)
    detail = client.get(f"/certificates/{core.id}").text
    assert str(codes.grouped_html(core.code)) in detail and f'href="/verify/{core.code}"' in detail

    lines, text = _pdf_code_lines(db.session.get(CertificatePdf, core.id).content, tmp_path)
    assert "".join(lines) == shown
    assert f"/verify/{core.code}" in re.sub(r"\s+", "", text)  # the address keeps the code as issued

    mail = notice_mail(core, []).text  # the email that announces it
    assert f"/verify with its code: {shown}" in mail and f"/verify/{core.code}\n" in mail

    record = tmp_path / "record.json"
    record.write_text(client.get(f"/verify/{core.code}.json").text)
    assert f"code {shown}." in cli("certificates", "verify", str(record)).output


# ---- Unknown codes: one answer ----------------------------------------------------------------------

UNKNOWN = ["x", "A" * 27, "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ", "not a code!", "..", "A" * 200, "<i>a&b"]


@pytest.mark.parametrize("typed", UNKNOWN)
def test_an_unknown_code_gets_the_same_404_in_html_and_json(client, course, people, typed):
    certify(people.employee, NOW, platforms=())
    message = codes.no_match_message(typed)
    page = client.get(f"/verify/{typed}")
    assert page.status_code == 404
    heading = re.search(r'<h1 id="lookup-heading">(.*?)</h1>', page.text).group(1)
    assert "<i>" not in heading and html.unescape(re.sub(r"<[^>]+>", "", heading)) == message
    assert 'action="/verify"' in page.text  # a form to type it again
    data = client.get(f"/verify/{typed}.json")
    assert data.status_code == 404 and data.json == {"error": {"status": 404, "message": message}}


def test_a_near_miss_of_a_real_code_is_no_different_from_nonsense(client, course, people):
    certify(people.employee, NOW, platforms=())
    _older_certificate(_core(people.employee), people.other_employee, OLD_CODE)
    near, nonsense = OLD_CODE.lower(), "b" * 27
    pages = [client.get(f"/verify/{code}") for code in (near, nonsense)]
    assert [p.status_code for p in pages] == [404, 404]
    texts = [p.text.replace("<wbr>", "") for p in pages]  # line break opportunities in the code as typed
    assert texts[0].replace(near, "CODE") == texts[1].replace(nonsense, "CODE")
    answers = [client.get(f"/verify/{code}.json").json["error"]["message"] for code in (near, nonsense)]
    assert answers[0].replace(near, "CODE") == answers[1].replace(nonsense, "CODE")


def test_an_address_with_no_code_in_it_is_an_unknown_code(client, course):
    response = client.get("/verify", query_string={"code": "/"})
    assert response.status_code == 404 and "No certificate matches" in response.text


# ---- Every status has its icon ----------------------------------------------------------------------

def _icon(page_text: str) -> str:
    return re.search(r'<h1 id="verify-heading"><span class="verify-icon" aria-hidden="true">(.+?)</span>',
                     page_text).group(1)


def test_expired_valid_and_revoked_each_show_an_icon(client, course, people):
    certify(people.employee, NOW - timedelta(days=400), platforms=())  # a year's validity: expired
    certify(people.manager, NOW, platforms=())
    certify(people.other_employee, NOW, platforms=())
    revoke_certificate(people.admin, _core(people.other_employee), "Issued in error.", NOW)
    db.session.commit()
    seen = {}
    for holder, status in ((people.employee, "Expired"), (people.manager, "Valid"),
                           (people.other_employee, "Revoked")):
        page = client.get(f"/verify/{_core(holder).code}")
        assert f"{status} certificate</h1>" in page.text and f"verify-{status.lower()}" in page.text
        seen[status] = _icon(page.text)
    assert seen == {"Expired": "\u26a0\ufe0e", "Valid": "✓", "Revoked": "✗"}  # ⚠ drawn as text, not emoji

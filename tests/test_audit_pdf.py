"""The audit PDF an auditor expects: a summary first, by department naming whose team, module titles,
suspensions, revocations and attestations, dates and words never broken, many people per page."""
import re
import subprocess
from datetime import timedelta

from app.accounts.models import User
from app.certificates.models import Certificate
from app.certificates.services import revoke_certificate
from app.extensions import db
from app.policy.services import attest, sync_policy
from app.reports.audit import audit_report_data
from app.reports.services import organization_query
from app.rights.services import suspend_rights
from app.timestamps import utcnow
from tests.factories import certify, make_user, require
from tests.test_policy_attestation import write_policy
from tests.tools import need_tool


def seeded(people, tmp_path):
    now = utcnow()
    policy = sync_policy(write_policy(tmp_path, "2026.1"), now - timedelta(days=300))
    attest(people.employee, policy, True, people.employee.full_name, now - timedelta(days=20))
    certify(people.employee, now - timedelta(days=10))
    attest(people.other_employee, policy, True, people.other_employee.full_name, now - timedelta(days=20))
    certify(people.other_employee, now - timedelta(days=10), platforms=())
    suspend_rights(people.manager, people.employee, None, "Posted a patient's room number", now - timedelta(days=2))
    core = db.session.query(Certificate).filter_by(user_id=people.other_employee.id).first()
    revoke_certificate(people.admin, core, "Issued on a shared login", now - timedelta(days=1))
    for i in range(40):  # enough people to need pages
        make_user(f"Person Number{i:02d}", manager=people.manager, department="Nursing")
    require(*db.session.query(User), at=now - timedelta(days=60))
    db.session.commit()
    return now


def pdf_text(data: bytes, tmp_path) -> str:
    need_tool("pdftotext", "poppler-utils")
    path = tmp_path / "audit.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout


def test_the_data_holds_the_summary_teams_and_every_kind_of_evidence(app, course, people, tmp_path):
    now = seeded(people, tmp_path)
    data = audit_report_data(organization_query(), now, None, "organization")
    core = data["summary"][0]
    # one revoked (no longer counts), one suspended (counted as such)
    assert core["people"] >= 42 and core["compliant_count"] == 0 and core["suspended"] == 1
    nursing = next(d for d in data["by_team"] if d["department"] == "Nursing")
    assert people.manager.full_name in nursing["managers"]
    assert [s["reason"] for s in data["suspensions"]] == ["Posted a patient's room number"]
    assert [r["reason"] for r in data["revocations"]] == ["Issued on a shared login"]
    assert {a["person"] for a in data["attestations"]} == {people.employee.full_name, people.other_employee.full_name}
    assert all(m["title"] and m["title"] != m["slug"] for m in data["modules"])


def test_the_pdf_reads_as_an_auditor_expects(client, course, people, login, tmp_path):
    seeded(people, tmp_path)
    login(people.admin)
    response = client.get("/reports/audit.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data, tmp_path)
    assert text.index("Summary") < text.index("By department and team") < text.index("Roster")
    for heading in ("Suspensions of posting rights", "Certificate revocations", "Policy attestations"):
        assert heading in text
    assert "Posted a patient's room number" in text and "Issued on a shared login" in text
    assert "Privacy basics" in text  # module titles, not slugs
    # No ISO date is split across lines, and no word of a heading is cut in two.
    assert not re.search(r"\b\d{4}-\d{2}\s*\n\s*-\d{2}\b", text) and not re.search(r"\b\d{4}-\s*\n", text)
    assert "Departm\n" not in text and "Assign\n" not in text
    roster = text[text.index("Roster"):text.index("Module completions")]
    pages = [p for p in roster.split("\f") if "Person Number" in p]
    assert len(pages) <= 3 and max(p.count("Person Number") for p in pages) >= 14  # 48 people, readable

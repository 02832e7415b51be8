"""The social media policy: read, tick, type your name; evidence in the audit chain; rights follow it."""
import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from app.audit.models import AuditEvent
from app.certificates.models import Certificate
from app.extensions import db
from app.policy.document import POLICY_FILE, read_policy_document
from app.policy.models import PolicyAttestation
from app.policy.rules import names_match, standing
from app.policy.services import PolicyError, attest, policy_in_force, standing_of, sync_policy
from app.rights.services import rights_of
from app.timestamps import utcnow
from tests.conftest import csrf_token
from tests.factories import certify, pass_module

SHIPPED = Path(__file__).parent.parent / "courses"


def write_policy(folder: Path, version: str, body: str = "# Policy\n\nNever post a patient.\n", grace: int = 30):
    (folder / POLICY_FILE).write_text(f'---\ntitle: Social media policy\nversion: "{version}"\n'
                                      f"grace_days: {grace}\n---\n{body}", encoding="utf-8")
    document, problems = read_policy_document(folder)
    assert problems == []
    return document


@pytest.fixture
def policy(course, tmp_path):
    """Version 2026.1 in force since 400 days ago."""
    version = sync_policy(write_policy(tmp_path, "2026.1"), utcnow() - timedelta(days=400))
    db.session.commit()
    return version


def test_the_shipped_policy_reads_cleanly_and_is_hashed():
    document, problems = read_policy_document(SHIPPED)
    assert problems == [] and document.version and len(document.sha256) == 64


def test_a_broken_policy_file_names_file_and_line(tmp_path):
    (tmp_path / POLICY_FILE).write_text("---\ntitle: Policy\nversion: [1\n---\n# P\n", encoding="utf-8")
    _, problems = read_policy_document(tmp_path)
    assert problems and problems[0].path == POLICY_FILE and problems[0].line == 3
    (tmp_path / POLICY_FILE).write_text("# No header\n", encoding="utf-8")
    assert "header" in str(read_policy_document(tmp_path)[1][0])
    (tmp_path / POLICY_FILE).write_text("---\ntitle: P\nversion: '1'\ngrace_days: 900\n---\n# P\n", encoding="utf-8")
    assert "grace_days" in str(read_policy_document(tmp_path)[1][0])


def test_the_same_text_is_stored_once(course, tmp_path):
    document = write_policy(tmp_path, "2026.1")
    first = sync_policy(document, utcnow())
    assert sync_policy(document, utcnow()).id == first.id


def test_signing_needs_the_box_and_the_persons_own_name(course, policy, people):
    now = utcnow()
    with pytest.raises(PolicyError, match="Tick the box"):
        attest(people.employee, policy, False, people.employee.full_name, now)
    with pytest.raises(PolicyError, match="Type your full name"):
        attest(people.employee, policy, True, "Someone Else", now)
    db.session.rollback()
    assert db.session.scalar(select(PolicyAttestation)) is None
    assert names_match(f"  {people.employee.full_name.upper()} ", people.employee.full_name)


def test_certification_waits_for_the_signature_then_names_the_version(client, course, policy, people, login):
    employee, now = people.employee, utcnow()
    certify(employee, now)
    assert db.session.scalars(select(Certificate)).all() == []  # every module passed, nothing issued yet
    login(employee)
    assert "Sign the social media policy" in client.get("/").text
    page = client.get("/policy").text
    assert "Never post a patient." in page and "Sign version 2026.1" in page

    refused = client.post(f"/policy/{policy.id}/sign", data={"agreed": "y", "typed_name": "Not Me",
                                                            "csrf_token": csrf_token(client, "/policy")})
    assert refused.status_code == 400 and "Type your full name" in refused.text
    assert db.session.scalar(select(PolicyAttestation)) is None

    signed = client.post(f"/policy/{policy.id}/sign", data={"agreed": "y", "typed_name": employee.full_name,
                                                           "csrf_token": csrf_token(client, "/policy")})
    assert signed.status_code == 302
    attestation = db.session.scalar(select(PolicyAttestation))
    assert attestation.sha256 == policy.sha256 and attestation.typed_name == employee.full_name
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "policy.attested"))
    assert event.actor_id == employee.id and json.loads(event.details)["sha256"] == policy.sha256
    certificates = db.session.scalars(select(Certificate)).all()
    assert {c.certification_slug for c in certificates} == {"core", "instagram"}
    assert all(c.policy_version_id == policy.id for c in certificates)
    assert json.loads(certificates[0].payload)["policy"]["version"] == "2026.1"
    assert "You signed version 2026.1" in client.get("/policy").text


def test_a_new_version_has_a_grace_period_then_rights_lapse(course, policy, people, tmp_path):
    employee, now = people.employee, utcnow()
    attest(employee, policy, True, employee.full_name, now - timedelta(days=300))
    certify(employee, now - timedelta(days=10))
    assert all(d.allowed for d in rights_of(employee, now) if d.platform == "instagram")

    new = sync_policy(write_policy(tmp_path, "2027.1", "# Policy\n\nNew rules on AI tools.\n", grace=14), now)
    db.session.commit()
    assert policy_in_force(now).id == new.id
    in_grace = standing_of(employee, now + timedelta(days=13))
    assert not in_grace.attested and in_grace.allows_rights(now + timedelta(days=13))
    assert all(d.allowed for d in rights_of(employee, now + timedelta(days=13)) if d.platform == "instagram")
    lapsed = [d for d in rights_of(employee, now + timedelta(days=15)) if d.platform == "instagram"]
    assert lapsed and not any(d.allowed for d in lapsed) and "policy (version 2027.1) is not signed" in lapsed[0].reason

    attest(employee, new, True, employee.full_name, now + timedelta(days=15))
    db.session.commit()
    assert all(d.allowed for d in rights_of(employee, now + timedelta(days=16)) if d.platform == "instagram")


def test_a_newcomer_gets_the_grace_period_from_arrival(course, policy, people):
    veteran, newcomer = people.employee, people.other_employee
    veteran.created_at = utcnow() - timedelta(days=1000)
    db.session.commit()
    now = utcnow()
    assert not standing_of(veteran, now).allows_rights(now)  # 400 days since the version loaded
    assert standing_of(newcomer, now).allows_rights(now)
    assert standing_of(newcomer, now).due_by.date() == (newcomer.created_at + timedelta(days=30)).date()


def test_no_policy_shipped_means_nothing_to_sign(course, people):
    assert standing(None, None, 0, False).allows_rights(utcnow())
    pass_module(people.employee, "privacy", utcnow())
    certify(people.employee, utcnow())
    assert db.session.scalars(select(Certificate)).all()


def test_attestations_are_append_only(course, policy, people):
    attest(people.employee, policy, True, people.employee.full_name, utcnow())
    db.session.commit()
    with pytest.raises(DatabaseError):
        db.session.execute(text("UPDATE policy_attestations SET typed_name = 'x'"))
        db.session.flush()
    db.session.rollback()


def test_team_and_audit_reports_show_who_signed(client, course, policy, people, login):
    attest(people.employee, policy, True, people.employee.full_name, utcnow())
    db.session.commit()
    login(people.manager)
    page = client.get("/team").text
    assert "Signed 2026.1" in page and "Not signed" in page


def test_courses_sync_loads_the_policy_once(cli, tmp_path):
    root = tmp_path / "courses"
    shutil.copytree(Path(__file__).parent / "fixtures" / "courses", root)
    write_policy(root, "2026.1")
    assert "policy 2026.1: new version stored" in cli("courses", "sync", "--dir", str(root)).output
    assert "policy 2026.1: unchanged" in cli("courses", "sync", "--dir", str(root)).output

"""The audit trail: written with each change, chained, append-only, and checkable offline."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from app.audit.models import AuditEvent
from app.audit.services import check_against_checkpoint, checkpoint, record, verify_chain
from app.certificates.models import Certificate
from app.certificates.services import signing_key
from app.courses.models import Lesson, LessonView
from app.extensions import db
from app.quizzes.models import Submission
from app.timestamps import utcnow
from app.unique_rows import add_once
from tests.conftest import ON_POSTGRES, csrf_token
from tests.factories import certify


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_events_are_written_with_changes(client, course, people, login):
    client.post("/login", data={"email": people.employee.email, "password": "wrong password!",
                                "csrf_token": csrf_token(client)})
    login(people.employee)
    certify(people.employee, utcnow(), platforms=())
    got = actions()
    assert got[:2] == ["login.failure", "login.success"]
    assert got.count("attempt.submitted") == 2 and "certificate.issued" in got
    assert verify_chain().ok


def test_an_event_survives_a_savepoint_that_met_its_twin(app, course, people):
    """add_once rolls back its own savepoint when the row exists; what was recorded before stays."""
    lesson = db.session.scalar(select(Lesson).limit(1))
    db.session.add(LessonView(user_id=people.employee.id, lesson_id=lesson.id, viewed_at=utcnow()))
    db.session.flush()
    record("attempt.submitted", actor=people.employee, subject_type="attempt", subject_id=1)
    twin = LessonView(user_id=people.employee.id, lesson_id=lesson.id, viewed_at=utcnow())
    assert not add_once(db.session, twin)
    record("certificate.issued", actor=people.employee, subject_type="certificate", subject_id=1)
    db.session.commit()
    assert actions()[-2:] == ["attempt.submitted", "certificate.issued"]
    assert verify_chain().ok


def test_chain_detects_a_changed_row(app, course, people):
    certify(people.employee, utcnow(), platforms=())
    check = verify_chain()
    assert check.ok and check.count == db.session.scalar(select(func.count()).select_from(AuditEvent))
    target = db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "attempt.submitted").limit(1))
    _tamper(f"UPDATE audit_events SET details = '{{\"score\":100}}' WHERE id = {target}")
    check = verify_chain()
    assert not check.ok and check.broken_id == target and "changed after it was written" in check.problem


def test_chain_detects_a_removed_row(app, course, people):
    certify(people.employee, utcnow(), platforms=())
    second = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()[1]
    _tamper(f"DELETE FROM audit_events WHERE id = {second}")
    check = verify_chain()
    assert not check.ok and "removed or reordered" in check.problem


def test_checkpoint_catches_rewritten_history(app, course, people):
    certify(people.employee, utcnow(), platforms=())
    point = checkpoint(signing_key())
    assert check_against_checkpoint(point, signing_key().public) is None
    # Rewrite the whole chain consistently from an early event: the chain alone looks fine...
    first = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).first()
    _tamper(f"DELETE FROM audit_events WHERE id > {first}")
    assert verify_chain().ok
    # ...but the checkpoint kept outside the database proves events are missing.
    assert "no longer has the checkpointed hash" in check_against_checkpoint(point, signing_key().public)
    forged = dict(point, checkpoint=point["checkpoint"].replace('"count":', '"count":1'))
    assert "signature" in check_against_checkpoint(forged, signing_key().public)


@pytest.mark.parametrize("statement", [
    "UPDATE submissions SET passed = true",
    "DELETE FROM submissions",
    "UPDATE certificates SET expires_at = expires_at",
    "DELETE FROM audit_events",
    "UPDATE answers SET option_id = option_id",
    "DELETE FROM lesson_views",
    "UPDATE questions SET stem = 'changed'",
    "UPDATE question_options SET is_correct = NOT is_correct",
    "DELETE FROM question_options",
])
def test_evidence_tables_refuse_update_and_delete(app, course, people, statement):
    certify(people.employee, utcnow(), platforms=())
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text(statement))
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 2


def test_audit_cli_verify_and_checkpoint(cli, course, people, tmp_path):
    certify(people.employee, utcnow(), platforms=())
    made = cli("audit", "checkpoint")
    assert made.exit_code == 0
    path = tmp_path / "checkpoint.json"
    path.write_text(made.output)
    ok = cli("audit", "verify", "--checkpoint", str(path))
    assert ok.exit_code == 0 and "chain intact" in ok.output
    first = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).first()
    _tamper(f"UPDATE audit_events SET actor_label = 'user:999' WHERE id = {first}")
    bad = cli("audit", "verify")
    assert bad.exit_code == 1 and f"event {first}" in bad.output
    assert json.loads(made.output)["chain_ok"] is True


def test_audit_verify_names_an_event_whose_actor_was_changed(cli, course, people):
    certify(people.employee, utcnow(), platforms=())
    target = db.session.scalar(select(AuditEvent.id).where(AuditEvent.actor_id.is_not(None)).limit(1))
    _tamper(f"UPDATE audit_events SET actor_id = {people.admin.id} WHERE id = {target}")  # a real person's id
    bad = cli("audit", "verify")
    assert bad.exit_code == 1 and f"event {target} names a different actor" in bad.output


def test_audit_verify_checks_every_certificates_signature(cli, course, people):
    certify(people.employee, utcnow() - timedelta(days=800), platforms=())
    target = db.session.scalar(select(Certificate.id).where(Certificate.user_id == people.employee.id))
    assert cli("audit", "verify").exit_code == 0
    pushed = (utcnow() + timedelta(days=300)).replace(tzinfo=None).isoformat(sep=" ")
    _tamper(f"UPDATE certificates SET expires_at = '{pushed}' WHERE id = {target}")
    bad = cli("audit", "verify")
    assert bad.exit_code == 1 and "do not match what was signed" in bad.output and str(target) in bad.output


def _tamper(statement: str) -> None:
    """Change the database the way an attacker with raw access would: triggers bypassed."""
    db.session.commit()
    with db.engine.begin() as conn:
        if ON_POSTGRES:
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            conn.exec_driver_sql(statement)
        else:
            table = statement.split()[2 if statement.startswith("DELETE") else 1]
            triggers = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)).all()
            for name, _ in triggers:
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
            conn.exec_driver_sql(statement)
            for _, sql in triggers:
                conn.exec_driver_sql(sql)
    db.session.expire_all()



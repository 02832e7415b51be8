"""Staff import from HR: dry run, all-or-nothing apply, idempotent re-import, terminations
(the upload-then-apply page: test_staff_upload.py)."""
from pathlib import Path

from sqlalchemy import func, select

from app.accounts.models import User
from app.assignments.models import Assignment
from app.extensions import db
from app.rights.services import rights_of
from app.staff.services import import_staff
from app.timestamps import utcnow
from tests.conftest import csrf_token
from tests.factories import certify

FIXTURES = Path(__file__).parent / "fixtures" / "staff"
GOOD = (FIXTURES / "hr_export.csv").read_bytes()
BAD = (FIXTURES / "hr_export_with_errors.csv").read_bytes()


def people_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_dry_run_changes_nothing(app, people):
    before = people_count()
    outcome = import_staff(people.admin, GOOD, utcnow(), dry_run=True)
    assert outcome.plan.ok and not outcome.applied and len(outcome.plan.creates) >= 10
    db.session.rollback()
    assert people_count() == before


def test_errors_block_everything_and_name_lines(app, people):
    before = people_count()
    outcome = import_staff(people.admin, BAD, utcnow(), dry_run=False)
    assert not outcome.applied and outcome.plan.errors
    assert all(e.line for e in outcome.plan.errors if "file" not in e.message.lower())
    db.session.rollback()
    assert people_count() == before


def test_apply_then_reimport_changes_nothing(app, people):
    outcome = import_staff(people.admin, GOOD, utcnow(), dry_run=False)
    db.session.commit()
    assert outcome.applied
    created = len(outcome.plan.creates)
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == created  # onboarding for each
    again = import_staff(people.admin, GOOD, utcnow(), dry_run=True)
    assert not again.plan.changes_anything, [(p.email, p.action, p.changes) for p in again.plan.people
                                             if p.action != "unchanged"]
    with_managers = db.session.scalars(select(User).where(User.manager_id.is_not(None))).all()
    assert len(with_managers) > 3


def test_termination_deactivates_and_rights_stop(app, course, people):
    certify(people.employee, utcnow())
    assert any(d.allowed for d in rights_of(people.employee, utcnow()))
    csv = (b"email,full_name,role,status,manager_email\n"
           b"eli@test-health.example,Eli Employee,employee,terminated,mona@test-health.example\n")
    outcome = import_staff(people.admin, csv, utcnow(), dry_run=False)
    db.session.commit()
    assert [p.email for p in outcome.plan.deactivations] == ["eli@test-health.example"]
    person = db.session.get(User, people.employee.id)
    assert not person.active and person.deactivated_at is not None
    assert not any(d.allowed for d in rights_of(person, utcnow()))


def test_admin_cannot_remove_own_access(app, people):
    csv = b"email,full_name,role,status\nada@test-health.example,Ada Admin,employee,active\n"
    outcome = import_staff(people.admin, csv, utcnow(), dry_run=False)
    assert not outcome.applied and "your own administrator access" in str(outcome.plan.errors[0])


def test_utf16_upload_is_refused_clearly(client, people, login, tmp_path):
    login(people.admin)
    path = tmp_path / "utf16.csv"
    path.write_bytes("email,full_name,role,status\n".encode("utf-16"))
    page = "/people/import"
    response = client.post(page, data={"csrf_token": csrf_token(client, page), "file": path.open("rb")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "UTF-16" in response.text


def test_cli_dry_run_and_errors(cli, people):
    ok = cli("staff", "import", str(FIXTURES / "hr_export.csv"), "--dry-run")
    assert ok.exit_code == 0 and "Would apply" in ok.output
    bad = cli("staff", "import", str(FIXTURES / "hr_export_with_errors.csv"))
    assert bad.exit_code == 1
    assert "hr_export_with_errors.csv: line " in bad.output and "Nothing was changed" in bad.output
    applied = cli("staff", "import", str(FIXTURES / "hr_export.csv"))
    assert applied.exit_code == 0 and "Applied" in applied.output
    again = cli("staff", "import", str(FIXTURES / "hr_export.csv"))
    assert "0 to create, 0 to change, 0 to deactivate, 0 to reactivate" in again.output

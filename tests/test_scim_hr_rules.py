"""SCIM follows the HR import's rules: the same person made by either gets the same records; and with
STAFF_SOURCE=scim the HR file may not change the people SCIM manages."""

from sqlalchemy import select

from app.accounts.invitations import Invitation
from app.accounts.models import PersonPlacement, User
from app.assignments.models import Assignment
from app.assignments.requirements import add_rule
from app.audit.models import AuditEvent
from app.extensions import db
from app.staff.services import import_staff
from app.timestamps import utcnow
from tests.scim_helpers import ENTERPRISE, USER, IdentityProvider, scim_token
from tests.staff_rows import make_csv, row


def _records(email: str) -> dict:
    db.session.expire_all()
    person = db.session.scalar(select(User).where(User.email == email))
    placements = db.session.execute(select(PersonPlacement.department_id, PersonPlacement.manager_id,
                                           PersonPlacement.active).where(PersonPlacement.user_id == person.id)).all()
    assignments = db.session.execute(select(Assignment.certification_slug, Assignment.reason, Assignment.assigned_at,
                                            Assignment.due_at).where(Assignment.user_id == person.id)).all()
    return {
        "person": (person.full_name, person.role, person.department.name, person.manager_id, person.active,
                   person.password_hash, person.hire_date),
        "placements": [tuple(p) for p in placements],
        # whole days: the due moment is the end of a day, so a rounded count would depend on the hour
        "assignments": sorted((slug, reason, (due - at).days) for slug, reason, at, due in
                              assignments),
        "invitations": db.session.scalar(select(db.func.count()).select_from(Invitation)
                                         .where(Invitation.user_id == person.id, Invitation.purpose == "invite")),
    }


def test_a_scim_create_and_a_csv_import_give_the_same_records(app, client, cli, course, people, tmp_path):
    add_rule(people.admin, "instagram", None, "employee", utcnow())  # a rule for every employee
    db.session.commit()
    entra = IdentityProvider(client, scim_token("Entra ID"))
    made = entra.post("/Users", {"schemas": [USER, ENTERPRISE], "userName": "sam.scim@test-health.example",
                                 "displayName": "Sam Same", ENTERPRISE: {"department": "Nursing",
                                                                         "manager": {"value": str(people.manager.id)}}})
    assert made.status_code == 201, made.json
    hr_file = tmp_path / "hr.csv"
    hr_file.write_bytes(make_csv(row(email="sam.csv@test-health.example", name="Sam Same", department="Nursing",
                                     manager="mona@test-health.example", hire_date="")))
    imported = cli("staff", "import", str(hr_file), "--as", "ada@test-health.example")
    assert imported.exit_code == 0, imported.output

    by_scim, by_csv = _records("sam.scim@test-health.example"), _records("sam.csv@test-health.example")
    assert by_scim == by_csv
    assert by_scim["assignments"] == [("core", "onboarding", 30), ("instagram", "rule", 30)]
    assert by_scim["invitations"] == 1 and len(by_scim["placements"]) == 1
    scim_events = db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_label == "scim token Entra ID"))
    assert "person.created" in set(scim_events)


def _hr_change(admin, email: str, name: str):
    """An HR file whose line 2 matches Mona and whose line 3 gives `email` the name `name`."""
    return import_staff(admin, make_csv(row(email="mona@test-health.example", name="Mona Manager",
                                            department="Nursing", role="manager", hire_date="2026-01-05"),
                                        row(email=email, name=name, department="Nursing",
                                            manager="mona@test-health.example", hire_date="2026-01-05")),
                        utcnow(), dry_run=False)


def test_staff_source_scim_keeps_scim_people_out_of_the_hr_file(app, client, people):
    okta = IdentityProvider(client, scim_token("Okta"))
    assert okta.patch(f"/Users/{people.employee.id}", {"op": "replace", "path": "displayName",
                                                       "value": "Eli Scim"}).status_code == 200

    app.config["STAFF_SOURCE"] = "scim"
    refused = _hr_change(people.admin, "eli@test-health.example", "Eli From HR")
    assert not refused.applied
    assert [(e.line, e.column) for e in refused.plan.errors] == [(3, "email")]
    assert "identity provider" in refused.plan.errors[0].message
    db.session.rollback()
    assert db.session.get(User, people.employee.id).full_name == "Eli Scim"
    same = _hr_change(people.admin, "eli@test-health.example", "Eli Scim")  # a row that changes nothing is fine
    assert same.plan.ok
    db.session.rollback()
    other = _hr_change(people.admin, "lee@test-health.example", "Lee From HR")  # not managed by SCIM
    assert other.applied
    db.session.commit()

    app.config["STAFF_SOURCE"] = "csv"  # both may write: the later change wins
    both = _hr_change(people.admin, "eli@test-health.example", "Eli From HR")
    assert both.applied
    db.session.commit()
    assert db.session.get(User, people.employee.id).full_name == "Eli From HR"

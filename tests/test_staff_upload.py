"""The import page over HTTP: one upload (a dry run that keeps the file on the server), then
"Apply these changes" for that same file, refused when the token is not this admin's live upload
or when the records changed since the dry run."""
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.audit.models import AuditEvent
from app.extensions import db
from app.staff.kept_uploads import KEEP_FOR
from app.staff.services import check_upload
from app.timestamps import utcnow
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_user

FIXTURES = Path(__file__).parent / "fixtures" / "staff"
GOOD = (FIXTURES / "hr_export.csv").read_bytes()
PAGE = "/people/import"
APPLY = "/people/import/apply"


@pytest.fixture(autouse=True)
def uploads_dir(app, tmp_path):
    """Kept uploads go to this test's own folder, not the checkout's instance folder."""
    folder = tmp_path / "staff-uploads"
    app.config["STAFF_UPLOADS_DIR"] = str(folder)
    return folder


def upload(client, data: bytes, name="hr_export.csv"):
    import io

    return client.post(PAGE, data={"csrf_token": csrf_token(client, PAGE), "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def apply_fields(response) -> dict:
    """The hidden fields of the page's "Apply these changes" form."""
    form = re.search(r'<form method="post" action="/people/import/apply.*?</form>', response.text, re.S)
    assert form, "no Apply form on the page"
    fields = dict(re.findall(r'name="(csrf_token|token|plan)"[^>]*value="([^"]*)"', form.group(0)))
    assert set(fields) == {"csrf_token", "token", "plan"}
    return fields


def apply(client, fields: dict, confirm=True):
    return client.post(APPLY, data={**fields, **({"confirm": "y"} if confirm else {})})


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def imported_events() -> int:
    return count(AuditEvent, AuditEvent.action == "staff.imported")


def sign_in(app, user):
    other = app.test_client()
    response = other.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(other)})
    assert response.status_code == 302
    return other


# --- one upload, then apply ---------------------------------------------------------------------------

def test_dry_run_keeps_the_file_and_apply_applies_that_same_file(client, people, login, uploads_dir):
    login(people.admin)
    before = count(User)
    dry = upload(client, GOOD)
    assert dry.status_code == 200 and "Dry run: nothing has changed yet" in dry.text
    for label, number in (("New", 14), ("Changed", 0), ("Deactivated", 0), ("Unchanged", 1), ("Problems", 0)):
        assert f"<dt>{label}</dt><dd>{number}</dd>" in dry.text
    assert "I have checked these changes: 14 new, 0 changed," in dry.text
    assert count(User) == before and imported_events() == 0
    assert len(list(uploads_dir.iterdir())) == 1

    applied = apply(client, apply_fields(dry))
    assert applied.status_code == 200 and "Import applied" in applied.text
    assert "<dt>New</dt><dd>14</dd>" in applied.text and "Apply these changes" not in applied.text
    assert count(User) == before + 14 and imported_events() == 1
    assert list(uploads_dir.iterdir()) == []  # applied: no longer kept

    again = apply(client, apply_fields(dry))  # the same form a second time
    assert again.status_code == 404 and "no longer kept" in again.text
    assert count(User) == before + 14 and imported_events() == 1


def test_applying_needs_the_confirmation(client, people, login):
    login(people.admin)
    dry = upload(client, GOOD)
    unconfirmed = apply(client, apply_fields(dry), confirm=False)
    assert unconfirmed.status_code == 400 and "tick the box to confirm" in unconfirmed.text
    assert count(User, User.email == "priya.raman@example.org") == 0
    assert apply(client, apply_fields(unconfirmed)).status_code == 200  # the file is still kept
    assert count(User, User.email == "priya.raman@example.org") == 1


def test_apply_refuses_when_the_records_changed_since_the_dry_run(client, people, login):
    login(people.admin)
    dry = upload(client, GOOD)
    make_user("Priya Raman", email="priya.raman@example.org", department="Pharmacy")  # someone adds her meanwhile
    db.session.commit()
    refused = apply(client, apply_fields(dry))
    assert refused.status_code == 409 and "records changed since the dry run" in refused.text
    assert "<dt>New</dt><dd>13</dd>" in refused.text and "<dt>Changed</dt><dd>1</dd>" in refused.text
    assert count(User, User.email == "sam.patel@example.org") == 0 and imported_events() == 0
    fields = apply_fields(refused)
    assert fields["token"] == apply_fields(dry)["token"] and fields["plan"] != apply_fields(dry)["plan"]
    assert apply(client, fields).status_code == 200  # confirmed again, as now shown
    priya = db.session.scalar(select(User).where(User.email == "priya.raman@example.org"))
    assert priya.department.name == "Emergency Department" and imported_events() == 1


def test_apply_refuses_a_file_that_now_has_problems_and_forgets_it(client, people, login, uploads_dir):
    login(people.admin)
    dry = upload(client, b"email,full_name,role,status,manager_email\n"
                         b"nia@test-health.example,Nia New,employee,active,mona@test-health.example\n")
    people.manager.active = False  # her manager leaves meanwhile
    db.session.commit()
    refused = apply(client, apply_fields(dry))
    assert refused.status_code == 409 and "manager mona@test-health.example is deactivated" in refused.text
    assert "Apply these changes" not in refused.text and list(uploads_dir.iterdir()) == []
    assert count(User, User.email == "nia@test-health.example") == 0


# --- tokens that do not apply --------------------------------------------------------------------------

def test_expired_upload_is_refused_and_removed(client, people, login, uploads_dir):
    login(people.admin)
    long_ago = utcnow() - KEEP_FOR - timedelta(minutes=1)
    review = check_upload(people.admin, "hr_export.csv", GOOD, long_ago)
    fields = {"csrf_token": csrf_token(client, PAGE), "token": review.upload.token, "plan": review.fingerprint}
    refused = apply(client, fields)
    assert refused.status_code == 410 and "This upload expired at" in refused.text
    assert list(uploads_dir.iterdir()) == [] and count(User, User.email == "sam.patel@example.org") == 0


@pytest.mark.parametrize("tamper", [
    lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # one character off
    lambda token: "../" + token,                                       # not a token at all
    lambda token: "",
])
def test_tampered_token_is_refused(client, people, login, tamper):
    login(people.admin)
    fields = apply_fields(upload(client, GOOD))
    refused = apply(client, {**fields, "token": tamper(fields["token"])})
    assert refused.status_code in (400, 404) and count(User, User.email == "sam.patel@example.org") == 0
    assert "upload the file again" in refused.text.lower()
    assert apply(client, fields).status_code == 200  # the real one still works


def test_tampered_plan_fingerprint_is_refused(client, people, login):
    login(people.admin)
    fields = apply_fields(upload(client, GOOD))
    refused = apply(client, {**fields, "plan": "0" * 64})
    assert refused.status_code == 409 and count(User, User.email == "sam.patel@example.org") == 0


def test_another_admin_cannot_apply_it(app, client, people, login):
    login(people.admin)
    fields = apply_fields(upload(client, GOOD))
    other_admin = make_user("Abe Admin", email="abe@test-health.example", role=Role.ADMIN)
    db.session.commit()
    other = sign_in(app, other_admin)
    refused = other.post(APPLY, data={**fields, "csrf_token": csrf_token(other, PAGE), "confirm": "y"})
    assert refused.status_code == 404 and "no longer kept" in refused.text
    assert count(User, User.email == "sam.patel@example.org") == 0 and imported_events() == 0
    assert apply(client, fields).status_code == 200  # still the uploader's to apply


def test_a_newer_upload_replaces_the_earlier_one(client, people, login, uploads_dir):
    login(people.admin)
    first = apply_fields(upload(client, GOOD))
    second = apply_fields(upload(client, GOOD))
    assert len(list(uploads_dir.iterdir())) == 1
    assert apply(client, first).status_code == 404
    assert apply(client, second).status_code == 200


def test_expired_uploads_are_cleaned_up_on_the_next_upload_and_by_the_cli(app, client, people, login, cli,
                                                                          uploads_dir):
    other_admin = make_user("Abe Admin", email="abe@test-health.example", role=Role.ADMIN)
    long_ago = utcnow() - KEEP_FOR - timedelta(minutes=1)
    check_upload(other_admin, "old.csv", GOOD, long_ago)
    live = check_upload(other_admin, "new.csv", GOOD, utcnow()).upload  # replaces old.csv
    check_upload(people.admin, "old.csv", GOOD, long_ago)
    assert len(list(uploads_dir.iterdir())) == 2
    login(people.admin)
    upload(client, b"email,full_name,role,status\nada@test-health.example,Ada Admin,admin,active\n")  # nothing to do
    names = [p.name for p in uploads_dir.iterdir()]
    assert len(names) == 1  # Abe's live upload stays; the expired one is gone and nothing new was kept
    check_upload(people.admin, "old.csv", GOOD, long_ago)
    result = cli("staff", "purge-uploads")
    assert result.exit_code == 0 and "Removed 1 expired staff upload." in result.output
    assert [p.name for p in uploads_dir.iterdir()] == names and live is not None


def test_incomplete_apply_form_is_refused(client, people, login):
    login(people.admin)
    response = client.post(APPLY, data={"csrf_token": csrf_token(client, PAGE)})
    assert response.status_code == 400 and "upload the file again" in response.text


# --- what the file says ------------------------------------------------------------------------------

def test_a_blank_cell_keeps_the_stored_value_and_clear_empties_it(client, people, login):
    login(people.admin)
    data = ("email,full_name,department,manager_email,role,hire_date,status\n"
            "eli@test-health.example,Eli Employee-Ng,,(clear),employee,,active\n"
            "olga@test-health.example,Olga Other,(clear),,employee,(Clear),active\n").encode()
    dry = upload(client, data)
    assert "<dt>Changed</dt><dd>2</dd>" in dry.text
    assert apply(client, apply_fields(dry)).status_code == 200
    db.session.expire_all()
    eli, olga = db.session.get(User, people.employee.id), db.session.get(User, people.other_employee.id)
    assert (eli.full_name, eli.department.name, eli.manager, eli.hire_date) == (
        "Eli Employee-Ng", "Nursing", None, date(2026, 1, 5))
    assert (olga.department, olga.manager_id, olga.hire_date) == (None, people.other_manager.id, None)


def test_every_problem_of_every_row_in_one_round(client, people, login, uploads_dir):
    login(people.admin)
    data = ("email,full_name,department,manager_email,role,hire_date,status\n"
            "bad-email,,Nursing,ghost@example.org,chief,2026-02-30,gone\n"
            "eli@test-health.example,(clear),Nursing,nobody@example.org,employee,1/5/26,active\n"
            "ann@test-health.example,Ann New,=HYPERLINK(),,employee,,active\n").encode()
    response = upload(client, data)
    assert response.status_code == 400 and "Problems found: nothing was changed" in response.text
    cells = re.findall(r"<li><strong>Line (\d+), (\w+):</strong>", response.text)
    assert cells == [("2", "email"), ("2", "full_name"), ("2", "role"), ("2", "status"), ("2", "hire_date"),
                     ("2", "manager_email"), ("3", "full_name"), ("3", "hire_date"), ("3", "manager_email"),
                     ("4", "department")]
    assert "<dt>Problems</dt><dd>10</dd>" in response.text
    assert "unknown manager nobody@example.org" in response.text
    assert "Apply these changes" not in response.text and not uploads_dir.exists()


def test_a_file_that_changes_nothing_is_not_kept(client, people, login, uploads_dir):
    login(people.admin)
    response = upload(client, b"email,full_name,role,status\nada@test-health.example,Ada Admin,admin,active\n")
    assert response.status_code == 200 and "PostReady already matches this file" in response.text
    assert "Apply these changes" not in response.text and not uploads_dir.exists()

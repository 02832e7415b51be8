"""Regressions from the second penetration test (issue 25): each fails on the code before its fix."""
import json
import re
import secrets
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.api.services import create_token
from app.certificates.models import Certificate
from app.certificates.services import revoke_certificate
from app.extensions import db
from app.quizzes.models import Attempt, Submission
from app.rights.models import RightsSuspension
from app.timestamps import utcnow
from tests.conftest import csrf_token
from tests.factories import PASSWORD, certify
from tests.test_learner_path import answer_all, read_all_lessons, start_quiz


def test_a_csrf_token_planted_before_sign_in_is_refused_after_it(client, course, people):
    planted = csrf_token(client)  # what an attacker could plant in the victim's not-yet-signed-in browser
    response = client.post("/login", data={"email": people.manager.email, "password": PASSWORD,
                                           "csrf_token": planted})
    assert response.status_code == 302
    forged = client.post(f"/people/{people.employee.id}/rights/suspend",
                         data={"reason": "Forged by someone else", "csrf_token": planted})
    assert forged.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(RightsSuspension)) == 0
    fresh = csrf_token(client, f"/people/{people.employee.id}/rights")
    assert fresh != planted


def test_a_token_from_before_sign_out_is_refused_after_it(client, course, people, login):
    login(people.manager)
    before = csrf_token(client, "/")
    client.post("/logout", data={"csrf_token": before})
    assert client.post("/login", data={"email": people.manager.email, "password": PASSWORD,
                                       "csrf_token": before}).status_code == 400


def test_a_line_break_in_next_after_sign_in_goes_home(client, people):
    response = client.post("/login?next=/rights%0d%0aSet-Cookie:%20x=1", data={
        "email": people.employee.email, "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "x=1" not in response.headers.get("Set-Cookie", "")


def test_an_expired_quiz_form_comes_back_with_the_answers_kept(client, course, people, login):
    login(people.employee)
    read_all_lessons(client)
    attempt_id = start_quiz(client)
    answers = answer_all(db.session.get(Attempt, attempt_id), right=5)
    refused = client.post(f"/attempts/{attempt_id}", data={**answers, "csrf_token": "expired-or-from-elsewhere"})
    assert refused.status_code == 400 and "security check expired" in refused.text
    for option_ids in answers.values():
        for option_id in option_ids:
            assert re.search(rf'value="{option_id}"[^>]*checked', refused.text), "the learner's answer was lost"
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', refused.text).group(1)
    assert client.post(f"/attempts/{attempt_id}", data={**answers, "csrf_token": token}).status_code == 302


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(too_big=st.integers(min_value=2**31, max_value=2**80))
def test_every_route_answers_404_for_an_id_beyond_the_databases_range(app, client, people, login, too_big):
    if not client.get_cookie("postready_session"):
        login(people.admin)
    rules = [r for r in app.url_map.iter_rules() if "<int:" in r.rule]
    assert rules
    for rule in rules:
        url = re.sub(r"<int:[a-z_]+>", str(too_big), rule.rule)
        url = re.sub(r"<(?:string:)?[a-z_]+>", "x", url)
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(url, method=method, data={"csrf_token": "x"} if method == "POST" else None)
        assert response.status_code == 404, (url, response.status_code)


def test_a_page_number_of_twenty_digits_is_the_last_page_not_an_error(client, course, people, login):
    login(people.admin)
    for path in ("/people", "/organization", "/organization.csv"):
        assert client.get(path + "?page=" + "9" * 20).status_code == 200, path


def _forge(source: Certificate, **changes) -> Certificate:
    """A row written straight into the table, reusing another row's signed payload and signature."""
    columns = {c.key: getattr(source, c.key) for c in Certificate.__table__.columns if c.key != "id"}
    forged = Certificate(**{**columns, "code": secrets.token_urlsafe(20), **changes})
    db.session.add(forged)
    db.session.commit()
    return forged


def _instagram_right(client, email: str, secret: str) -> bool:
    response = client.get(f"/api/v1/people/{email}/posting-rights/instagram",
                          headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    return response.json["allowed"]


def test_a_certificate_copied_from_someone_else_grants_nothing(client, course, people):
    certify(people.employee, utcnow())
    _, secret = create_token(people.admin, "tool", utcnow())
    db.session.commit()
    assert _instagram_right(client, people.employee.email, secret)
    for source in db.session.scalars(select(Certificate).where(Certificate.user_id == people.employee.id)).all():
        forged = _forge(source, user_id=people.other_employee.id)
        page = client.get(f"/verify/{forged.code}")
        assert "Not a genuine certificate" in page.text and "Valid certificate" not in page.text
        assert client.get(f"/verify/{forged.code}.json").json["status"] == "invalid"
    assert not _instagram_right(client, people.other_employee.email, secret)


def test_an_expiry_pushed_forward_grants_nothing(client, course, people):
    long_ago = utcnow() - timedelta(days=800)
    certify(people.employee, long_ago)
    _, secret = create_token(people.admin, "tool", utcnow())
    db.session.commit()
    assert not _instagram_right(client, people.employee.email, secret)
    for source in db.session.scalars(select(Certificate).where(Certificate.user_id == people.employee.id)).all():
        forged = _forge(source, cycle=source.cycle + 1, expires_at=utcnow() + timedelta(days=300))
        assert client.get(f"/verify/{forged.code}.json").json["status"] == "invalid"
    assert not _instagram_right(client, people.employee.email, secret)


def test_the_public_check_shows_a_revocation_but_never_its_reason(client, course, people):
    certify(people.employee, utcnow(), platforms=())
    core = db.session.scalar(select(Certificate).where(Certificate.user_id == people.employee.id))
    revoke_certificate(people.admin, core, "Shared a photo of a patient's chart", utcnow())
    db.session.commit()
    page, data = client.get(f"/verify/{core.code}"), client.get(f"/verify/{core.code}.json").json
    assert "Revoked certificate" in page.text and "chart" not in page.text
    assert data["status"] == "revoked" and data["revoked_at"] and "chart" not in json.dumps(data)


def test_a_replaced_certificate_points_to_the_current_one(client, course, people):
    certify(people.employee, utcnow() - timedelta(days=340), platforms=())  # inside the renewal window
    certify(people.employee, utcnow(), platforms=())
    old, new = db.session.scalars(select(Certificate).where(Certificate.user_id == people.employee.id)
                                  .order_by(Certificate.cycle)).all()
    assert new.cycle == old.cycle + 1
    page = client.get(f"/verify/{old.code}")
    assert "Replaced by a newer certificate" in page.text and f"/verify/{new.code}" in page.text
    assert client.get(f"/verify/{old.code}.json").json["superseded_by"] == new.code


def test_an_edit_of_a_person_records_what_changed(app, course, people):
    from app.accounts.services import PersonFields, update_person
    from app.audit.models import AuditEvent

    fields = PersonFields(people.employee.email, "Eli Q. Employee", "employee", people.other_manager.id,
                          "Marketing", None)
    update_person(people.admin, people.employee, fields, utcnow())
    db.session.commit()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.updated")
                              .order_by(AuditEvent.id.desc()).limit(1))
    changed = json.loads(event.details)["changed"]
    assert changed["full_name"] == ["Eli Employee", "Eli Q. Employee"]
    assert changed["manager_id"] == [people.manager.id, people.other_manager.id]
    assert "email" not in changed and event.actor_label == f"user:{people.admin.id}"


def test_an_attempt_on_a_quiz_changed_since_it_started_is_refused(client, course, people, login, tmp_path):
    from app.assignments.services import assign_material_change
    from app.courses.models import ModuleCompletion
    from tests.test_lifecycle import _publish_changed_course

    login(people.employee)
    read_all_lessons(client)
    attempt_id = start_quiz(client)
    answers = answer_all(db.session.get(Attempt, attempt_id), right=5)
    version = _publish_changed_course(tmp_path, "material")
    assign_material_change(version, utcnow())
    db.session.commit()
    refused = client.post(f"/attempts/{attempt_id}", data={**answers, "csrf_token": csrf_token(client, "/")})
    assert refused.status_code == 409 and "This quiz changed" in refused.text
    assert "Start the new quiz" in refused.text
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
    assert db.session.scalar(select(func.count()).select_from(ModuleCompletion)) == 0


def test_a_minor_change_leaves_an_open_attempt_valid(client, course, people, login, tmp_path):
    from tests.test_lifecycle import _publish_changed_course

    login(people.employee)
    read_all_lessons(client)
    attempt_id = start_quiz(client)
    answers = answer_all(db.session.get(Attempt, attempt_id), right=5)
    _publish_changed_course(tmp_path, "minor")
    db.session.commit()
    assert client.post(f"/attempts/{attempt_id}",
                       data={**answers, "csrf_token": csrf_token(client, "/")}).status_code == 302


def test_an_attempt_open_beside_a_failed_one_cannot_pass_inside_the_cooldown(app, course, people):
    """Two attempts opened before the locking start (old data, or a start before this fix): the
    second cannot be submitted as a pass right after the first failed."""
    from app.courses.services import current_module, record_lesson_view
    from app.quizzes.services import AttemptNotAllowed, submit_attempt

    module = current_module("test-course", "privacy")
    for lesson in module.lessons:
        record_lesson_view(people.employee, lesson)
    now = utcnow()
    first, second = (Attempt(user_id=people.employee.id, module_id=module.id, started_at=now) for _ in range(2))
    db.session.add_all([first, second])
    db.session.flush()
    from app.quizzes.models import AttemptQuestion
    for attempt in (first, second):
        for position, question in enumerate(module.questions[:module.draw_count], start=1):
            db.session.add(AttemptQuestion(attempt_id=attempt.id, question_id=question.id, position=position,
                                           option_order=[o.id for o in question.options]))
    db.session.commit()
    db.session.refresh(first)
    db.session.refresh(second)
    assert not submit_attempt(people.employee, first, answer_ids(first, right=0), now).passed
    db.session.commit()
    with pytest.raises(AttemptNotAllowed, match="while this one was open"):
        submit_attempt(people.employee, second, answer_ids(second, right=5), now)
    db.session.rollback()


def answer_ids(attempt: Attempt, right: int) -> dict[int, list[int]]:
    return {int(k.removeprefix("answer-")): v for k, v in answer_all(attempt, right).items()}


def test_a_look_alike_address_is_refused_at_import_with_its_line():
    from app.staff.csv_import import parse_staff_csv
    from tests.staff_rows import make_csv, row

    parsed = parse_staff_csv(make_csv(row(email="ann@example.org"), row(email="b\u0430rt@example.org", name="Bart")))
    (error,) = parsed.errors
    assert error.line == 3 and error.column == "email" and "alphabets" in error.message


def test_addresses_are_stored_in_one_normal_form():
    from app.accounts.emails import check_email, normalize_email

    assert check_email(" Ann.Lee@B\u00fccher.Example ") == "ann.lee@xn--bcher-kva.example"
    assert normalize_email("\uff41nn@example.org") == "ann@example.org"  # a full-width "a" folds by NFKC


def test_names_are_stored_composed_and_hidden_characters_are_refused(client, course, people, login):
    from app.accounts.models import User

    login(people.admin)
    page = f"/people/{people.employee.id}/edit"
    token = csrf_token(client, page)
    form = {"email": people.employee.email, "role": "employee", "manager_id": str(people.manager.id),
            "department": "Nursing", "csrf_token": token}
    refused = client.post(page, data={**form, "full_name": "Emma \u202eJones"})
    assert refused.status_code == 400 and "invisible character" in refused.text
    assert db.session.get(User, people.employee.id).full_name == "Eli Employee"
    assert client.post(page, data={**form, "full_name": "Jose\u0301 Ruiz"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, people.employee.id).full_name == "Jos\u00e9 Ruiz"


@pytest.mark.parametrize("content, named", [
    (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40, "Excel workbook (.xlsx)"),
    (b"<!DOCTYPE html><html><body><table><tr><td>email</td></tr></table>", "web page (HTML)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40, "old-style Excel workbook"),
])
def test_a_file_renamed_csv_is_named_for_what_it_is(content, named):
    from app.staff.csv_import import parse_staff_csv

    (error,) = parse_staff_csv(content).errors
    assert named in error.message and "not a CSV file" in error.message


def test_cli_bad_input_gets_a_message_not_a_traceback(cli, course, people, tmp_path):
    record = tmp_path / "record.json"
    record.write_text(json.dumps({"payload": "{}", "signature": "AAAA"}))
    bad_key = tmp_path / "key.pem"
    bad_key.write_text("not a key")
    result = cli("certificates", "verify", str(record), "--public-key", str(bad_key))
    assert result.exit_code == 2 and "not an Ed25519 public key" in result.output and "Traceback" not in result.output
    result = cli("certificates", "verify", str(record))
    assert result.exit_code == 1 and "INVALID" in result.output
    staff = tmp_path / "staff.csv"
    staff.write_text("email,full_name\nann@example.org,Ann Lee\n")
    for who, expected in ((people.employee.email, "not an active administrator"), ("nobody@example.org", "nobody")):
        result = cli("staff", "import", str(staff), "--as", who)
        assert result.exit_code != 0 and expected in result.output and "Traceback" not in result.output


def test_doctor_names_each_unsafe_setting_and_exits_1(cli, app, course):
    result = cli("doctor")
    assert result.exit_code == 1
    for problem in ("SECRET_KEY", "PUBLIC_BASE_URL", "REDIS_URL", "MAIL_BACKEND"):
        assert problem in result.output
    assert "fix:" in result.output and "PDF rendering works" in result.output


def test_doctor_passes_a_safe_deployment(cli, app, course, tmp_path):
    import socket

    from aiosmtpd.controller import Controller

    from tests.tools import need_service

    need_service("Redis", "127.0.0.1", 6379, "redis-server")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    smtp = Controller(object(), hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        app.config.update(SECRET_KEY="s" * 40, PUBLIC_BASE_URL="https://postready.example.org",
                          SESSION_COOKIE_SECURE=True, TRUSTED_HOSTS=["postready.example.org"], TRUSTED_PROXIES=1,
                          REDIS_URL="redis://127.0.0.1:6379/0", MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1",
                          MAIL_PORT=port)
        result = cli("doctor")
    finally:
        smtp.stop()
    assert result.exit_code == 0, result.output
    assert "0 error(s)" in result.output

"""Onboarding deadlines, annual refreshers, material changes and email reminders."""
import shutil
import socket
import time
from datetime import date, datetime, timedelta, timezone

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from app.accounts.services import PersonFields, create_person, deactivate_person
from app.assignments.models import Assignment
from app.assignments.services import assign_material_change, assign_onboarding, assign_refreshers, onboarding_due
from app.certificates.models import Certificate
from app.courses.content import read_courses
from app.courses.models import CourseVersion
from app.courses.services import current_version, sync_courses
from app.extensions import db
from app.reminders.models import ReminderSent
from app.reminders.services import send_reminders
from app.reports.services import Filters, build_dashboard, organization_query
from app.rights.services import rights_of
from tests.conftest import FIXTURE_COURSES
from tests.factories import certify, make_user, pass_module, require

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)


class Inbox:
    """Accepts mail; refuses recipients that are not plain ASCII, as many real servers do."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's
        if not address.isascii():
            return "553 5.1.3 The recipient address is not a valid mailbox name"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture
def smtp(app):
    """A real SMTP server on loopback; the app sends to it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_FROM="PostReady <pr@test>")
    yield inbox
    controller.stop()


def status_of(name: str, at: datetime, slug="core") -> str:
    board = build_dashboard(organization_query(), Filters(include_inactive=True), at, None)
    row = next(r for r in board.rows if r.full_name == name)
    return next(c for req, c in zip(board.requirements, row.cells) if req.slug == slug).status.value


def test_new_hire_gets_onboarding_due_after_hire_date(app, course, people):
    person = create_person(people.admin, PersonFields("new@test-health.example", "Nova New", "employee",
                                                     people.manager.id, "Nursing", date(2026, 11, 2)), NOW)
    db.session.commit()
    assignment = db.session.scalar(select(Assignment).where(Assignment.user_id == person.id))
    assert assignment.certification_slug == "core" and assignment.reason == "onboarding"
    assert assignment.due_at.date() == date(2026, 12, 2)
    assert assign_onboarding(person, NOW) == 0  # idempotent
    assert status_of("Nova New", NOW) == "not started"
    assert status_of("Nova New", datetime(2026, 12, 3, tzinfo=timezone.utc)) == "overdue"


def test_onboarding_due_rule():
    assert onboarding_due(date(2026, 11, 20), NOW, 30).date() == date(2026, 12, 20)
    assert onboarding_due(None, NOW, 30).date() == date(2026, 12, 25)
    # Added long after the hire date (existing staff imported): a fair 30 days from now.
    assert onboarding_due(date(2026, 1, 1), NOW, 30).date() == date(2026, 12, 25)


def test_refresher_is_assigned_ahead_of_expiry_and_expiry_removes_rights(app, course, people):
    require(people.employee, at=NOW - timedelta(days=341), slugs=("core", "instagram"))
    certify(people.employee, NOW - timedelta(days=340))
    certify(people.other_employee, NOW - timedelta(days=340))  # never required: the optional ones just lapse
    assert assign_refreshers(NOW - timedelta(days=10)) == 0   # 35 days before expiry: not yet
    assert assign_refreshers(NOW) == 2                         # 25 days before: core and instagram
    assert assign_refreshers(NOW) == 0
    refresher = db.session.scalar(select(Assignment).where(Assignment.reason == "refresher",
                                                           Assignment.certification_slug == "core"))
    assert refresher.due_at.date() == (NOW + timedelta(days=25)).date()
    assert status_of("Eli Employee", NOW) == "expiring"
    after = NOW + timedelta(days=26)
    assert status_of("Eli Employee", after) == "overdue"
    assert not any(d.allowed for d in rights_of(people.employee, after))


def test_deactivation_stops_rights_at_once(app, course, people):
    certify(people.employee, NOW)
    assert all(d.allowed for d in rights_of(people.employee, NOW))
    deactivate_person(people.admin, people.employee, NOW)
    db.session.commit()
    assert not any(d.allowed for d in rights_of(people.employee, NOW))


def _publish_changed_course(tmp_path, change: str, touch_module: str = "privacy"):
    root = tmp_path / "courses"
    shutil.copytree(FIXTURE_COURSES, root)
    course_file = root / "test-course/course.yaml"
    course_file.write_text(course_file.read_text().replace("change: material", f"change: {change}")
                           .replace('version: "1.0"', 'version: "1.1"'))
    lesson = next((root / f"test-course/modules/{touch_module}/lessons").glob("*.md"))
    lesson.write_text(lesson.read_text() + "\nA new rule applies from today.\n")
    result = sync_courses(read_courses(root)[0])[0]
    return db.session.get(CourseVersion, result.version_id)


def test_material_change_reassigns_changed_modules(app, course, people, tmp_path):
    require(people.employee, people.indirect, at=NOW - timedelta(days=101))
    certify(people.employee, NOW - timedelta(days=100))
    certify(people.other_employee, NOW - timedelta(days=100))  # not required of them: no retake
    pass_module(people.indirect, "replies", NOW - timedelta(days=50))
    version = _publish_changed_course(tmp_path, "material")
    assert version.id != course.id
    assert assign_material_change(version, NOW) == 1
    assignment = db.session.scalar(select(Assignment).where(Assignment.reason == "material-change"))
    assert assignment.user_id == people.employee.id and assignment.module_slugs == ["privacy"]
    assert assignment.due_at.date() == (NOW + timedelta(days=30)).date()
    assert status_of("Eli Employee", NOW + timedelta(days=31)) == "overdue"
    pass_module(people.employee, "privacy", NOW + timedelta(days=1))
    assert status_of("Eli Employee", NOW + timedelta(days=31)) == "certified"


def test_a_certificate_issued_after_a_new_version_is_published_names_that_version(app, course, people, tmp_path):
    """Issuing keeps each course version in memory once per process: a version published while
    the process runs must still be the one a later certificate is issued under."""
    certify(people.employee, NOW - timedelta(days=10), platforms=())  # under 1.0; fills the cache
    assert set(db.session.scalars(select(Certificate.course_version_id)
                                  .where(Certificate.user_id == people.employee.id))) == {course.id}
    version = _publish_changed_course(tmp_path, "minor")
    db.session.commit()
    pass_module(people.indirect, "privacy", NOW)
    issued = pass_module(people.indirect, "replies", NOW).issued_certificates
    assert [c.certification_slug for c in issued] == ["core"]
    assert issued[0].course_version_id == version.id != course.id
    assert '"course_version":"1.1"' in issued[0].payload


def test_minor_change_assigns_nothing(app, course, people, tmp_path):
    certify(people.employee, NOW - timedelta(days=100))
    version = _publish_changed_course(tmp_path, "minor")
    assert assign_material_change(version, NOW) == 0
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 0


def test_reminders_arrive_by_smtp_once_a_day(app, course, people, smtp):
    certify(people.employee, NOW - timedelta(days=340))           # expiring in 25 days
    db.session.add(Assignment(user_id=people.indirect.id, certification_slug="core", reason="onboarding",
                              assigned_at=NOW - timedelta(days=40), due_at=NOW - timedelta(days=2),
                              module_slugs=[], dedupe_key="onboarding:core:ivy"))
    db.session.commit()
    report = send_reminders(NOW)
    deadline = time.time() + 5
    while len(smtp.messages) < len(report.sent) and time.time() < deadline:
        time.sleep(0.05)
    by_recipient = {rcpt[0]: body for rcpt, body in smtp.messages}
    assert "Your social media certificate expires soon" in by_recipient["eli@test-health.example"]
    assert "Overdue" in by_recipient["ivy@test-health.example"]
    assert "Team training digest" in by_recipient["lee@test-health.example"]      # Ivy's manager
    assert "Eli Employee" in by_recipient["mona@test-health.example"]             # Eli's manager
    assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == len(report.sent)
    count = len(smtp.messages)
    again = send_reminders(NOW + timedelta(hours=3))
    assert again.sent == [] and again.skipped_already_sent > 0
    time.sleep(0.2)
    assert len(smtp.messages) == count
    tomorrow = send_reminders(NOW + timedelta(days=1))
    assert tomorrow.sent


def test_reminders_cli_moves_the_clock(cli, course, people):
    certify(people.employee, NOW - timedelta(days=340))
    result = cli("reminders", "send", "--now", "2026-11-25T09:00:00+00:00")
    assert result.exit_code == 0, result.output
    assert "email(s) sent" in result.output and "Your social media certificate expires soon" in result.output
    assert cli("reminders", "send", "--now", "yesterday").exit_code == 2


def test_sync_cli_reports_material_retakes(app, cli, course, people, tmp_path):
    require(people.employee, at=NOW - timedelta(days=101))
    certify(people.employee, NOW - timedelta(days=100))
    root = tmp_path / "c"
    shutil.copytree(FIXTURE_COURSES, root)
    lesson = root / "test-course/modules/privacy/lessons/01-what-is-phi.md"
    lesson.write_text(lesson.read_text() + "\nChanged.\n")
    result = cli("courses", "sync", "--dir", str(root))
    assert result.exit_code == 0 and "1 retake assignment(s)" in result.output
    assert current_version("test-course").id != course.id


def test_one_address_that_cannot_be_sent_to_stops_nobody_elses_reminders(app, cli, course, people, smtp):
    """An address with a Cyrillic letter (stored before imports refused such addresses): the SMTP
    server refuses it; everyone else, managers' digests included, still gets their reminder, the
    failure is recorded, and the next run tries it again."""
    from app.audit.models import AuditEvent

    bad = make_user("Anna Lookalike", email="\u0430nna@test-health.example", manager=people.manager)
    for person in (people.employee, bad):
        certify(person, NOW - timedelta(days=340))  # expiring in 25 days
    db.session.commit()
    result = cli("reminders", "send", "--now", NOW.isoformat())
    assert result.exit_code == 1 and "NOT SENT" in result.output and "1 failed" in result.output
    deadline = time.time() + 5
    while len(smtp.messages) < 2 and time.time() < deadline:
        time.sleep(0.05)
    recipients = {rcpt[0] for rcpt, _ in smtp.messages}
    assert {"eli@test-health.example", "mona@test-health.example"} <= recipients
    failed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "reminder.failed")).all()
    assert [e.subject_id for e in failed] == [str(bad.id)]
    again = cli("reminders", "send", "--now", (NOW + timedelta(hours=1)).isoformat())
    assert again.exit_code == 1 and "1 failed" in again.output  # tried again, not marked as sent

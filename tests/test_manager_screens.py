"""A manager's screens: land on the team, remind overdue people in one click (once a day), get back to the
team from a person, read posting rights as a grid, and be told when an "as of" date had no requirements."""
from datetime import timedelta

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.reminders.models import ReminderSent
from app.timestamps import utcnow
from tests.conftest import csrf_token
from tests.factories import certify
from tests.test_lifecycle import smtp  # noqa: F401  (a real SMTP server on loopback)


def test_managers_and_admins_land_on_their_dashboards(client, course, people, login):
    assert login(people.manager).headers["Location"].endswith("/team")
    assert login(people.admin).headers["Location"].endswith("/organization")
    assert login(people.employee).headers["Location"].endswith("/")
    login(people.manager)
    assert 'href="/"' in client.get("/team").text  # their own training, one click away


def overdue_team(client, people, login):
    from app.assignments.services import assign_onboarding

    for person in (people.employee, people.other_employee):
        assign_onboarding(person, utcnow() - timedelta(days=60))
    db.session.commit()
    login(people.manager)
    return client.get("/team").text


def test_send_reminder_to_one_person_then_never_twice_a_day(app, client, course, people, login, smtp):  # noqa: F811
    page = overdue_team(client, people, login)
    assert "Send reminder" in page and "Remind everyone overdue" in page
    token = csrf_token(client, "/team")
    first = client.post("/reminders", data={"person": people.employee.id, "csrf_token": token}, follow_redirects=True)
    assert f"Reminder sent to {people.employee.full_name}" in first.text
    assert len(smtp.messages) == 1 and smtp.messages[0][0] == [people.employee.email]
    again = client.post("/reminders", data={"person": people.employee.id, "csrf_token": token}, follow_redirects=True)
    assert "Already reminded today" in again.text and len(smtp.messages) == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "reminder.nudged"))
    assert event.actor_id == people.manager.id


def test_remind_everyone_overdue_reaches_only_the_overdue_in_the_team(app, client, course, people, login, smtp):  # noqa: F811
    overdue_team(client, people, login)
    response = client.post("/reminders", data={"csrf_token": csrf_token(client, "/team")}, follow_redirects=True)
    assert "Reminder sent to" in response.text
    reminded = {to[0] for to, _text in smtp.messages}
    assert people.employee.email in reminded
    assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == len(reminded)


def test_no_one_outside_the_reporting_line_can_be_reminded(app, client, course, people, login, smtp):  # noqa: F811
    overdue_team(client, people, login)
    login(people.other_manager)
    response = client.post("/reminders", data={"person": people.employee.id,
                                               "csrf_token": csrf_token(client, "/team")})
    assert response.status_code == 404 and smtp.messages == []
    login(people.employee)
    assert client.post("/reminders", data={"person": people.employee.id,
                                           "csrf_token": csrf_token(client, "/")}).status_code == 403


def test_person_page_leads_back_and_rights_read_as_a_grid(client, course, people, login):
    certify(people.employee, utcnow() - timedelta(days=3))
    login(people.manager)
    person = client.get(f"/people/{people.employee.id}").text
    assert '← My team' in person
    grid = client.get("/team/rights").text
    assert 'aria-current="page">Team rights' in grid
    assert '✓<span class="visually-hidden"> Allowed.' in grid
    assert '✗<span class="visually-hidden"> Not allowed.' in grid


def test_an_as_of_date_before_any_course_says_so(client, course, people, login):
    login(people.manager)
    page = client.get("/team", query_string={"as_of": "2020-01-01"}).text
    assert "No training requirements were in force on 1 Jan 2020" in page

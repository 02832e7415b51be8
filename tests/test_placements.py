"""Department, manager and active flag over time: written by every change, read by reports "as of"."""
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from app.accounts.models import PersonPlacement
from app.accounts.placements import record_placements
from app.accounts.services import PersonFields, deactivate_person, reactivate_person, update_person
from app.extensions import db
from app.reports.services import Filters, build_dashboard, organization_query, reporting_line_query
from app.staff.services import import_staff
from app.timestamps import utcnow
from tests.conftest import csrf_token

NOW = utcnow()
LATER = NOW + timedelta(days=10)  # services take the moment explicitly, so a test can place changes ahead


def placements(person) -> list[tuple]:
    rows = db.session.execute(
        select(PersonPlacement.department_id, PersonPlacement.manager_id, PersonPlacement.active,
               PersonPlacement.recorded_by_id)
        .where(PersonPlacement.user_id == person.id).order_by(PersonPlacement.effective_at, PersonPlacement.id))
    return [tuple(r) for r in rows]


def roster(scope, as_of) -> dict[str, tuple[str, str, bool]]:
    board = build_dashboard(scope, Filters(include_inactive=True), as_of + timedelta(days=1), as_of)
    return {r.full_name: (r.department, r.manager_name, r.active) for r in board.rows}


def move_to_marketing(people, at):
    eli = people.employee
    update_person(people.admin, eli, PersonFields(eli.email, eli.full_name, "employee", people.other_manager.id,
                                                  "Marketing", eli.hire_date), at)
    db.session.commit()


def test_a_move_is_recorded_once_with_who_made_it(app, people):
    eli = people.employee
    assert len(placements(eli)) == 1  # from the day they were added
    move_to_marketing(people, LATER)
    assert placements(eli)[-1] == (eli.department_id, people.other_manager.id, True, people.admin.id)
    # Saving again with nothing changed adds no row.
    move_to_marketing(people, LATER + timedelta(days=1))
    assert len(placements(eli)) == 2


def test_as_of_roster_shows_the_department_and_manager_of_the_time(app, course, people):
    move_to_marketing(people, LATER)
    before, after = LATER - timedelta(days=5), LATER + timedelta(days=5)
    assert roster(organization_query(before), before)["Eli Employee"] == ("Nursing", "Mona Manager", True)
    assert roster(organization_query(after), after)["Eli Employee"] == ("Marketing", "Otto Other", True)
    # Asked twice, the same answer; without a date, the person's record as it stands.
    assert roster(organization_query(before), before) == roster(organization_query(before), before)
    today = build_dashboard(organization_query(), Filters(), utcnow(), None)
    assert {r.full_name: r.department for r in today.rows}["Eli Employee"] == "Marketing"


def test_as_of_team_is_the_reporting_line_of_the_time(app, course, people):
    move_to_marketing(people, LATER)
    before, after = LATER - timedelta(days=5), LATER + timedelta(days=5)
    assert "Eli Employee" in roster(reporting_line_query(people.manager, before), before)
    assert "Eli Employee" not in roster(reporting_line_query(people.manager, after), after)
    assert "Eli Employee" in roster(reporting_line_query(people.other_manager, after), after)
    # Indirect reports follow the line as it was, too.
    assert "Ivy Indirect" in roster(reporting_line_query(people.manager, after), after)


def test_a_deactivation_that_was_later_undone_still_shows_for_its_dates(app, course, people):
    eli = people.employee
    deactivate_person(people.admin, eli, LATER)
    db.session.commit()
    reactivate_person(people.admin, eli, LATER + timedelta(days=2))
    db.session.commit()
    assert eli.deactivated_at is None  # the user row only knows today
    assert roster(organization_query(), LATER + timedelta(days=1))["Eli Employee"][2] is False
    assert roster(organization_query(), LATER + timedelta(days=3))["Eli Employee"][2] is True
    assert [p[2] for p in placements(eli)] == [True, False, True]


def test_staff_import_records_only_the_people_it_moves(app, people):
    data = (
        "email,full_name,department,manager_email,role,status\n"
        "eli@test-health.example,Eli Employee,Marketing,otto@test-health.example,employee,active\n"
        "olga@test-health.example,Olga Other,Marketing,otto@test-health.example,employee,active\n"
        "new@test-health.example,Nova New,Nursing,mona@test-health.example,employee,active\n"
        "dan@test-health.example,Dan Gone,Nursing,mona@test-health.example,employee,terminated\n"
    ).encode()
    outcome = import_staff(people.admin, data, LATER, dry_run=False)
    db.session.commit()
    assert outcome.applied
    eli_rows = placements(people.employee)
    assert len(eli_rows) == 2 and eli_rows[-1][1:] == (people.other_manager.id, True, people.admin.id)
    assert len(placements(people.other_employee)) == 1  # unchanged: no new row
    assert len(placements(people.deactivated)) == 1     # already inactive: nothing moved
    after = LATER + timedelta(days=1)
    assert roster(organization_query(), after)["Nova New"] == ("Nursing", "Mona Manager", True)
    assert roster(organization_query(), after)["Eli Employee"][:2] == ("Marketing", "Otto Other")


def test_placements_are_append_only(app, people):
    record_placements([people.employee], LATER, people.admin)
    db.session.commit()
    for statement in ("UPDATE person_placements SET active = false", "DELETE FROM person_placements"):
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()


def test_team_page_as_of_a_past_date_lists_who_was_on_the_team(client, course, people, login):
    eli = people.employee
    eli.created_at = NOW - timedelta(days=60)  # test set-up: on the roster for two months
    eli.manager = people.other_manager         # he was on Otto's team until yesterday
    db.session.flush()
    record_placements([eli], NOW - timedelta(days=60), people.admin)
    eli.manager = people.manager
    db.session.flush()
    record_placements([eli], NOW - timedelta(days=1), people.admin)
    db.session.commit()
    month_ago = (NOW - timedelta(days=30)).date().isoformat()
    login(people.other_manager)
    assert "Eli Employee" not in client.get("/team").text
    then = client.get(f"/team?as_of={month_ago}").text
    assert "Eli Employee" in then and "not in your reporting line now" in then
    assert f'href="/people/{eli.id}"' not in then  # his page is no longer Otto's to open
    assert "Eli Employee" in client.get(f"/team.csv?as_of={month_ago}").text
    client.post("/logout", data={"csrf_token": csrf_token(client)})  # signing in while signed in keeps the first
    login(people.manager)
    now_page = client.get("/team").text
    assert "Eli Employee" in now_page and f'href="/people/{eli.id}"' in now_page
    assert "Eli Employee" not in client.get(f"/team?as_of={month_ago}").text
    history = client.get(f"/people/{eli.id}").text.split("Department and manager history")[1]
    assert history.index("Otto Other") < history.index("Mona Manager")  # oldest first
    assert "Ada Admin" in history  # who recorded the move

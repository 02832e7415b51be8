"""A manager's reporting line: one recursive query, today or as of a past date."""
from sqlalchemy import text

from app.accounts.reporting_line import in_reporting_line, reporting_line_ids
from app.extensions import db
from app.permissions import manages
from tests.factories import make_user


def test_the_line_holds_everyone_under_the_manager_and_nobody_else(app, people):
    deeper = make_user("Dee Deeper", manager=people.indirect)  # manager -> lead -> indirect -> deeper
    db.session.commit()
    line = reporting_line_ids(people.manager.id)
    assert len(line) == len(set(line))
    assert {people.employee.id, people.indirect.id, deeper.id} <= set(line)
    assert people.manager.id not in line and people.other_employee.id not in line
    assert reporting_line_ids(deeper.id) == []
    assert in_reporting_line(people.manager.id, deeper.id) and manages(people.manager, deeper)
    assert not in_reporting_line(people.other_manager.id, deeper.id)


def test_a_cycle_in_the_data_ends_the_query(app, people):
    """Bad data (two people managing each other) must not loop forever."""
    db.session.execute(text("UPDATE users SET manager_id = :lead WHERE id = :manager"),
                       {"lead": people.indirect.id, "manager": people.manager.id})
    db.session.commit()
    line = reporting_line_ids(people.manager.id)
    assert people.indirect.id in line and len(line) == len(set(line))

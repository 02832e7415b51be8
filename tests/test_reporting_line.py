"""A manager's reporting line today: walked level by level, the same people as one recursive query."""
from sqlalchemy import event, text

from app.accounts.services import _LINE, reporting_line_ids, walk_reporting_line
from app.database import column_rows, utcnow
from app.extensions import db
from app.reports import data, services
from app.reports.services import Filters, build_dashboard, reporting_line_query
from tests.factories import certify, make_user, pass_module


def _recursive(manager_id: int) -> set[int]:
    return set(column_rows(db.session, _LINE, {"manager_id": manager_id}).scalars())


def test_the_walk_finds_what_the_recursive_query_finds(app, people):
    deeper = make_user("Dee Deeper", manager=people.indirect)  # manager -> lead -> indirect -> deeper
    db.session.commit()
    for manager in (people.manager, people.indirect, people.other_manager, people.admin, deeper):
        walked = walk_reporting_line(manager.id)
        assert len(walked) == len(set(walked))
        assert set(walked) == _recursive(manager.id) == set(reporting_line_ids(manager.id))
    assert deeper.id in walk_reporting_line(people.manager.id)


def test_the_walk_stops_at_a_level_where_nobody_manages_anyone(app, people):
    """A front-line team is one query: each level says who among it has reports of their own."""
    otto, olga, mona, ivy = (p.id for p in (people.other_manager, people.other_employee, people.manager,
                                           people.indirect))  # loaded before counting
    statements = []

    def count(*_args):
        statements.append(1)

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        front_line = walk_reporting_line(otto)  # Otto -> Olga, who manages nobody
        assert len(statements) == 1 and front_line == [olga]
        statements.clear()
        line = walk_reporting_line(mona)  # Mona -> Lee -> Ivy: two levels, no empty third
        assert len(statements) == 2 and ivy in line
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_line_longer_than_asked_for_is_left_to_the_recursive_query(app, people):
    assert walk_reporting_line(people.manager.id, up_to=2) is None
    assert len(walk_reporting_line(people.manager.id, up_to=4)) == 4
    assert set(reporting_line_ids(people.manager.id)) == _recursive(people.manager.id)


def test_a_cycle_in_the_data_ends_the_walk(app, people):
    """Bad data (two people managing each other) must not loop forever."""
    db.session.execute(text("UPDATE users SET manager_id = :lead WHERE id = :manager"),
                       {"lead": people.indirect.id, "manager": people.manager.id})
    db.session.commit()
    walked = walk_reporting_line(people.manager.id)
    assert people.indirect.id in walked and len(walked) == len(set(walked))


def test_a_team_too_long_to_list_gives_the_same_dashboard(app, course, people, monkeypatch):
    """Past RESOLVE_UP_TO people the team is read as one recursive query inside each of the
    report's queries (computed, not kept): the same rows and cells as the listed team."""
    now = utcnow()
    certify(people.employee, now, platforms=())
    pass_module(people.indirect, "privacy", now)

    def board():
        scope = reporting_line_query(people.manager)
        cells = {r.full_name: [c.status.value for c in r.cells]
                 for r in build_dashboard(scope, Filters(include_inactive=True), now, None).rows}
        return scope, cells

    listed_scope, listed = board()
    monkeypatch.setattr(services, "RESOLVE_UP_TO", 2)
    monkeypatch.setattr(data, "RESOLVE_UP_TO", 2)
    long_scope, long = board()
    assert isinstance(listed_scope, list) and not isinstance(long_scope, list)
    assert long == listed and len(long) == 4
    assert long["Eli Employee"][0] == "certified" and long["Ivy Indirect"][0] == "in progress"

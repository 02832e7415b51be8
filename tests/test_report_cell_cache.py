"""Report cells kept per worker: reused only while a fresh computation would give the same answer."""
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select

from app.assignments.models import Assignment
from app.certificates.models import Certificate
from app.certificates.rules import HeldCertificate
from app.certificates.services import revoke_certificate
from app.courses.services import current_module, record_lesson_view
from app.database import utcnow
from app.extensions import db
from app.reports import rules
from app.reports.cell_cache import CellCache
from app.reports.models import EvidenceVersion
from app.reports.services import Filters, build_dashboard, reporting_line_query
from app.rights.services import lift_suspension, suspend_rights
from tests.factories import certify, pass_module

NOW = utcnow()


def _version(person) -> int:
    return db.session.scalar(select(EvidenceVersion.version).where(EvidenceVersion.user_id == person.id))


def test_each_kind_of_deciding_record_bumps_the_persons_evidence_version(course, people):
    person, changes = people.employee, []

    def changed(add):
        before = _version(person)
        add()
        db.session.commit()
        changes.append(_version(person) - before)

    changed(lambda: record_lesson_view(person, current_module("test-course", "privacy").lessons[0]))
    changed(lambda: pass_module(person, "privacy", NOW))               # completion (and lesson views)
    changed(lambda: certify(person, NOW, platforms=()))                 # certificate
    core = db.session.scalars(select(Certificate).where(Certificate.user_id == person.id)).first()
    changed(lambda: revoke_certificate(people.admin, core, "Posted a patient photo", NOW))
    changed(lambda: db.session.add(Assignment(user_id=person.id, certification_slug="core", reason="manual",
                                              assigned_at=NOW, due_at=NOW + timedelta(days=9), dedupe_key="k")))
    suspension = suspend_rights(people.admin, person, None, "Pending review", NOW)
    db.session.commit()
    changed(lambda: lift_suspension(people.admin, suspension, "Reviewed", NOW))
    assert all(step > 0 for step in changes), changes
    assert _version(people.indirect) == 0  # nobody else's


def _team(people, now):
    return build_dashboard(reporting_line_query(people.manager), Filters(include_inactive=True), now, None)


def _cells(board):
    return {row.full_name: row.cells for row in board.rows}


def _computed_afresh(app, people, now):
    app.extensions.pop("postready.report_cells", None)
    return _cells(_team(people, now))


def test_kept_cells_always_equal_a_fresh_computation(app, course, people):
    """After every kind of change, and as time crosses each date that matters, the team's cells
    (served from the cache where it can) equal cells computed with no cache at all."""
    _team(people, NOW)  # fills the cache
    moments = [NOW]

    def check(now=NOW):
        kept = _cells(_team(people, now))
        assert kept == _computed_afresh(app, people, now)
        _team(people, now)  # refill, so the next check starts from kept cells
        return kept

    certify(people.employee, NOW, platforms=())
    assert check()["Eli Employee"][0].status == "certified"
    pass_module(people.indirect, "privacy", NOW)
    assert check()["Ivy Indirect"][0].status == "in progress"
    core = db.session.scalars(select(Certificate).where(Certificate.user_id == people.employee.id,
                                                         Certificate.certification_slug == "core")).one()
    expires = core.expires_at
    for moment in (expires - rules.EXPIRING_WINDOW - timedelta(seconds=1), expires - rules.EXPIRING_WINDOW,
                   expires - timedelta(seconds=1), expires):
        moments.append(moment)
        check(moment)
    assert check(expires - rules.EXPIRING_WINDOW)["Eli Employee"][0].status == "expiring"
    assert check(expires)["Eli Employee"][0].status == "expired"
    db.session.add(Assignment(user_id=people.indirect.id, certification_slug="core", reason="manual",
                              assigned_at=NOW, due_at=NOW + timedelta(days=3), dedupe_key="due"))
    db.session.commit()
    assert check()["Ivy Indirect"][0].due is not None
    assert check(NOW + timedelta(days=3))["Ivy Indirect"][0].status == "overdue"
    revoke_certificate(people.admin, core, "Posted a patient photo", NOW + timedelta(seconds=1))
    db.session.commit()
    assert check(NOW + timedelta(seconds=2))["Eli Employee"][0].status == "expired"


def test_a_dashboard_reopened_unchanged_reads_no_records(app, course, people):
    certify(people.employee, NOW, platforms=())
    statements = []
    listener = lambda _conn, _cursor, statement, *rest: statements.append(statement)  # noqa: E731
    _team(people, NOW)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        _team(people, NOW)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    read = " ".join(statements)
    assert "FROM users" in read
    assert "certificates" not in read and "module_completions" not in read and "lesson_views" not in read


def test_a_new_course_version_starts_the_cache_afresh(app, course, people, tmp_path):
    """Kept cells belong to one catalog (which modules count for which requirement): publishing a
    version, even one with the same requirements, empties the cache rather than trusting them."""
    from app.reports.cell_cache import cell_cache
    from tests.test_lifecycle import _publish_changed_course

    certify(people.employee, NOW, platforms=())
    _team(people, NOW)
    assert len(cell_cache()) == 4
    _publish_changed_course(tmp_path, "minor")
    db.session.commit()
    statements = []
    listener = lambda _conn, _cursor, statement, *rest: statements.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        board = _team(people, NOW)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert "certificates" in " ".join(statements)  # the records were read again
    assert _cells(board) == _computed_afresh(app, people, NOW)
    assert _cells(board)["Eli Employee"][0].status == "certified"


def test_the_cache_keeps_the_most_recently_used_and_forgets_on_a_new_catalog():
    cache, cell = CellCache(capacity=2), (rules.Cell(rules.Status.CERTIFIED),)
    assert cache.lookup("v1", [(1, 0)], NOW) == {}
    for person in (1, 2):
        cache.store("v1", person, 0, NOW, None, cell)
    assert cache.lookup("v1", [(1, 0)], NOW) == {1: cell}  # 1 is now the most recent
    cache.store("v1", 3, 0, NOW, None, cell)                  # so 2 goes
    assert set(cache.lookup("v1", [(1, 0), (2, 0), (3, 0)], NOW)) == {1, 3}
    assert cache.lookup("v1", [(1, 1)], NOW) == {}            # a newer evidence version
    assert cache.lookup("v1", [(1, 0)], NOW - timedelta(seconds=1)) == {}  # before it was computed
    assert cache.lookup("v2", [(1, 0)], NOW) == {} and len(cache) == 0


# --- the rule: until when do cells hold? -----------------------------------------------------

BASE = datetime(2026, 6, 1, tzinfo=timezone.utc)
_moment = st.integers(min_value=-500, max_value=500).map(lambda d: BASE + timedelta(days=d))


@st.composite
def _certificate(draw):
    issued = draw(_moment)
    expires = issued + timedelta(days=draw(st.sampled_from([1, 30, 31, 365])))
    revoked = draw(st.none() | _moment.filter(lambda m: m >= issued))
    return HeldCertificate(draw(st.sampled_from(["core", "instagram"])), issued, expires, revoked)


@st.composite
def _assignment(draw):
    assigned = draw(_moment)
    return rules.OpenAssignment(assigned, assigned + timedelta(days=draw(st.integers(0, 60))),
                                tuple(draw(st.lists(st.sampled_from(["a", "b"]), max_size=2, unique=True))))


@settings(max_examples=300, deadline=None)
@given(st.lists(_certificate(), max_size=3), st.lists(_assignment(), max_size=2),
       st.dictionaries(st.sampled_from(["a", "b"]), _moment), st.booleans(), _moment,
       st.integers(min_value=0, max_value=1000))
def test_cells_hold_until_the_moment_the_rule_names(certificates, assignments, completions, suspended, at, later):
    """Any moment from `at` up to (not including) cells_fresh_until gives the same cell; at that
    moment itself something may change, and it is never in the past."""
    fresh_until = rules.cells_fresh_until(certificates, assignments, at)
    cell = rules.requirement_status(certificates, ("a", "b"), completions, {"a"}, assignments, suspended, at)
    moment = at + timedelta(days=later)
    if fresh_until is not None:
        assert fresh_until > at
        moment = min(moment, fresh_until - timedelta(microseconds=1))
    assert rules.requirement_status(certificates, ("a", "b"), completions, {"a"}, assignments, suspended,
                                    moment) == cell

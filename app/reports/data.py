"""Load what the reports need in a fixed number of queries, whatever the number of people."""
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from operator import itemgetter

from sqlalchemy import Select, func, or_, select, true
from sqlalchemy.orm import aliased, selectinload

from app.accounts.models import Department, User
from app.accounts.placements import placements_at
from app.assignments.models import Assignment, live_at
from app.certificates.models import Certificate, CertificateRevocation
from app.certificates.rules import HeldCertificate
from app.courses.models import CourseVersion, Lesson, LessonView, Module, ModuleCompletion
from app.courses.services import current_versions, newest_version_per_course
from app.extensions import db
from app.reports.rules import Cell, OpenAssignment, requirement_status
from app.rights.policy import RightsPolicy
from app.rights.services import suspensions_by_person

# The organization's scope: everyone. Queries over it need no `IN (...)` at all (see _in).
EVERYONE = select(User.id)


@dataclass(frozen=True)
class Requirement:
    slug: str
    title: str
    module_slugs: tuple[str, ...]
    short_title: str


@dataclass(frozen=True, slots=True)
class PersonRow:
    id: int
    full_name: str
    email: str
    department: str
    manager_name: str
    hire_date: object
    active: bool
    cells: tuple[Cell, ...]


def _rows(query):
    """Rows of plain columns, run as Core on the session's connection (in its transaction): reports read
    thousands of rows and need none of the ORM's per-row entity handling."""
    return db.session.connection().execute(query)


def module_slugs() -> dict[int, str]:
    """Every version's modules, id -> slug (a past date's too)."""
    return dict(_rows(select(Module.id, Module.slug)).all())


def requirements(at: datetime | None = None) -> list[Requirement]:
    """The certifications people are measured against: those of the version in use at `at` (default: now)."""
    if at is not None:
        return _requirements(_versions_at(at))
    return _requirements(db.session.scalars(
        select(CourseVersion).where(CourseVersion.id.in_(newest_version_per_course()))
        .order_by(CourseVersion.title).options(selectinload(CourseVersion.certifications))))


def _requirements(versions: list[CourseVersion]) -> list[Requirement]:
    result = []
    for version in versions:
        for c in version.certifications:
            short = "Core" if c.slug == "core" else c.title.replace(" posting", "")
            result.append(Requirement(c.slug, c.title, tuple(c.module_slugs), short))
    return result


def _versions_at(at: datetime) -> list[CourseVersion]:
    newest = (select(func.max(CourseVersion.id)).where(CourseVersion.loaded_at <= at)
              .group_by(CourseVersion.course_id))
    return list(db.session.scalars(select(CourseVersion).where(CourseVersion.id.in_(newest))
                                   .options(selectinload(CourseVersion.certifications))))


def versions_in_use(at: datetime | None) -> list[CourseVersion]:
    return current_versions() if at is None else _versions_at(at)


def people_rows(ids_query: Select | list[int], at: datetime, as_of: bool, policy: RightsPolicy,
                reqs: list[Requirement]) -> list[PersonRow]:
    """A row of requirement cells for each person whose id `ids_query` selects, in no set order.

    With as_of, only records that existed at `at` count, so a past date gives
    the same answer every time it is asked. Without it nothing is in the future,
    so the time filters are left out and the indexes cover the scans.

    Every input is read ordered by person, in step with the roster: only one person's
    records are held at a time, not the whole organisation's (a full export's peak memory).
    """
    ids_query = _resolved(ids_query)
    large = not isinstance(ids_query, _Ids)  # the organisation, or a line too long to list
    until = at if as_of else None
    evidence = _Evidence(ids_query, large, until, at, policy, module_slugs())
    person_query = _people_query(until).where(_in(User.id, ids_query)).order_by(User.id)
    rows = []
    try:
        for pid, name, email, dept, manager_name, hired, active in _stream(person_query, large):
            cells = evidence.cells(pid, reqs, at)
            rows.append(PersonRow(pid, name, email, dept or "", manager_name or "", hired, active, cells))
    finally:
        evidence.close()
    return rows


class _Evidence:
    """A scope's records that decide its cells, read in step with ascending person ids."""

    def __init__(self, ids_query, large: bool, until: datetime | None, at: datetime, policy: RightsPolicy,
                 slug_of: dict[int, str]):
        self._certificates = _InStep(_certificates(ids_query, until, at), large, lambda rows: _held(rows, until), ())
        self._completions = _InStep(_completions(ids_query, until), large,
                                    lambda rows: _latest_by_slug(rows, slug_of), {})
        self._activity = _InStep(_activity(ids_query, until), large, lambda rows: _started(rows, slug_of), ())
        self._assignments = _InStep(_assignments(ids_query, at), large, _open_assignments, ())
        self._suspensions = suspensions_by_person(ids_query, until)
        self._platform_of = {r.slug: r.platform for r in policy.rights}

    def cells(self, pid: int, reqs: list[Requirement], at: datetime) -> tuple[Cell, ...]:
        mine = self._suspensions.get(pid)
        done, seen = self._completions.of(pid), self._activity.of(pid)
        held, assigned = self._certificates.of(pid), self._assignments.of(pid)
        platform_of = self._platform_of
        return tuple(
            requirement_status(
                [c for c in held if c.slug == req.slug], req.module_slugs, done, seen,
                [a for slug, a in assigned if slug == req.slug],
                bool(mine) and any(s.right_slug is None or platform_of.get(s.right_slug) == req.slug
                                   for s in mine),
                at,
            )
            for req in reqs
        )

    def close(self):
        for source in (self._certificates, self._completions, self._activity, self._assignments):
            source.close()  # rows nobody asked about are left unread: free the cursors now


def _stream(query: Select, large: bool):
    """Rows as they come. A large read goes through a server-side cursor on PostgreSQL, whose
    driver otherwise holds the whole result before the first row is read (SQLite always steps)."""
    return _rows(query.execution_options(yield_per=2000) if large else query)


class _InStep:
    """One of the report's inputs, ordered by person and read in step with the roster (also
    ordered by person): `of(person_id)` folds that person's rows, skipping anyone the roster
    does not ask about."""

    def __init__(self, query: Select, large: bool, fold, empty):
        self._result = _stream(query, large)
        self._groups = groupby(self._result, key=itemgetter(0))
        self._fold, self._empty = fold, empty
        self._advance()

    def _advance(self):
        self._person, self._group = next(self._groups, (None, None))

    def of(self, person_id: int):
        while self._person is not None and self._person < person_id:
            self._advance()
        if self._person != person_id:
            return self._empty
        value = self._fold(self._group)
        self._advance()
        return value

    def close(self):
        self._result.close()


def _people_query(as_of: datetime | None) -> Select:
    """Each person with their department, manager and active flag: today's, or as recorded at `as_of`
    (the placement history), for people already on the roster then."""
    manager = User.__table__.alias("manager")
    if as_of is None:
        return (select(User.id, User.full_name, User.email, Department.name, manager.c.full_name, User.hire_date,
                       User.active)
                .outerjoin(Department, User.department_id == Department.id)
                .outerjoin(manager, User.manager_id == manager.c.id))
    placed = placements_at(as_of)
    return (select(User.id, User.full_name, User.email, Department.name, manager.c.full_name, User.hire_date,
                   placed.c.active)
            .join(placed, placed.c.user_id == User.id)
            .outerjoin(Department, placed.c.department_id == Department.id)
            .outerjoin(manager, placed.c.manager_id == manager.c.id)
            .where(User.created_at <= as_of))


RESOLVE_UP_TO = 5000  # a scope of up to this many people is read once and passed as a list of ids


class _Ids(list):
    """A scope already resolved to its ids."""


def _resolved(ids_query: Select | list[int]):
    """Run a team's scope (a recursive CTE) once, rather than inside each of the report's queries."""
    if ids_query is EVERYONE:
        return ids_query
    if isinstance(ids_query, list):
        return _Ids(ids_query)
    ids = _rows(ids_query.limit(RESOLVE_UP_TO + 1)).scalars().all()
    return _Ids(ids) if len(ids) <= RESOLVE_UP_TO else ids_query


def _in(column, ids_query):
    """`column IN (ids)`; nothing at all when the scope is everyone (the organization)."""
    if ids_query is EVERYONE:
        return true()
    return column.in_(list(ids_query)) if isinstance(ids_query, _Ids) else column.in_(ids_query)


_OLDER = aliased(Certificate)


def _certificates(ids_query: Select, as_of: datetime | None, at: datetime) -> Select:
    """Certificates that can decide a cell: the newest of each certification, and any still valid
    at `at`. Earlier cycles' expired certificates (most rows, after a few years) cannot."""
    newest = select(func.max(_OLDER.issued_at)).where(
        _OLDER.user_id == Certificate.user_id, _OLDER.certification_slug == Certificate.certification_slug)
    if as_of is not None:
        newest = newest.where(_OLDER.issued_at <= as_of)
    query = (
        select(Certificate.user_id, Certificate.certification_slug, Certificate.issued_at, Certificate.expires_at,
               CertificateRevocation.revoked_at)
        .outerjoin(CertificateRevocation).where(_in(Certificate.user_id, ids_query))
        .where(or_(Certificate.expires_at > at, Certificate.issued_at == newest.scalar_subquery()))
        .order_by(Certificate.user_id)
    )
    if as_of is not None:
        query = query.where(Certificate.issued_at <= as_of)
    return query


def _held(rows, as_of: datetime | None) -> list[HeldCertificate]:
    """As of a past moment, a revocation after it had not happened yet."""
    return [HeldCertificate(slug, issued, expires, None if as_of and revoked and revoked > as_of else revoked)
            for _uid, slug, issued, expires, revoked in rows]


def _completions(ids_query: Select, until: datetime | None) -> Select:
    """The latest completion of each module (by id; _latest_by_slug merges course versions) for each person."""
    query = (select(ModuleCompletion.user_id, ModuleCompletion.module_id, func.max(ModuleCompletion.completed_at))
             .where(_in(ModuleCompletion.user_id, ids_query))
             .group_by(ModuleCompletion.user_id, ModuleCompletion.module_id)
             .order_by(ModuleCompletion.user_id, ModuleCompletion.module_id))  # the index's order: no sort
    if until is not None:
        query = query.where(ModuleCompletion.completed_at <= until)
    return query


def _latest_by_slug(rows, slug_of: dict[int, str]) -> dict[str, datetime]:
    mine: dict[str, datetime] = {}
    for _uid, module_id, when in rows:
        slug = slug_of[module_id]
        if slug not in mine or mine[slug] < when:
            mine[slug] = when
    return mine


def _activity(ids_query: Select, until: datetime | None) -> Select:
    """Modules each person has started. A quiz opens only after every lesson is read (start_attempt),
    so lesson views alone tell who has started; attempts add nothing."""
    query = (select(LessonView.user_id, Lesson.module_id).join(Lesson, LessonView.lesson_id == Lesson.id)
             .where(_in(LessonView.user_id, ids_query)).distinct().order_by(LessonView.user_id))
    if until is not None:
        query = query.where(LessonView.viewed_at <= until)
    return query


def _started(rows, slug_of: dict[int, str]) -> list[str]:
    """Slugs, once each (one module's slug can come from several course versions). A list, not
    a set: a few slugs each, kept for every person in a report."""
    started: list[str] = []
    for _uid, module_id in rows:
        if slug_of[module_id] not in started:
            started.append(slug_of[module_id])
    return started


def _assignments(ids_query: Select, at: datetime) -> Select:
    """Each person's assignments in force at `at`, with the certification each is for."""
    return (select(Assignment.user_id, Assignment.certification_slug, Assignment.assigned_at, Assignment.due_at,
                   Assignment.module_slugs)
            .where(_in(Assignment.user_id, ids_query), Assignment.assigned_at <= at, live_at(at))
            .order_by(Assignment.user_id))


def _open_assignments(rows) -> list[tuple[str, OpenAssignment]]:
    return [(slug, OpenAssignment(assigned, due, tuple(modules or ()))) for _uid, slug, assigned, due, modules in rows]

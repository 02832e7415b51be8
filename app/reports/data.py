"""Load what the reports need in a fixed number of queries, whatever the number of people."""
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import Select, func, or_, select, true
from sqlalchemy.orm import aliased

from app.accounts.models import Department, User
from app.accounts.placements import placements_at
from app.assignments.models import Assignment
from app.certificates.models import Certificate, CertificateRevocation
from app.certificates.rules import HeldCertificate
from app.courses.models import CourseVersion, Lesson, LessonView, Module, ModuleCompletion
from app.courses.services import current_versions
from app.database import column_rows
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
    return column_rows(db.session, query)


@dataclass(frozen=True)
class _Catalog:
    requirements: tuple[Requirement, ...]  # today's
    slug_of: dict[int, str]                # module id -> slug, for every version's modules


def _catalog() -> _Catalog:
    """Course data the reports need, kept per process: versions and modules never change once
    loaded, and a sync that adds any adds a newer course version, which reloads this."""
    app = current_app._get_current_object()
    newest = _rows(select(func.max(CourseVersion.id))).scalar()
    cached = app.extensions.get("postready.report_catalog")
    if cached is None or cached[0] != newest:
        cached = (newest, _Catalog(tuple(_requirements(current_versions())),
                                   dict(_rows(select(Module.id, Module.slug)).all())))
        app.extensions["postready.report_catalog"] = cached
    return cached[1]


def requirements(at: datetime | None = None) -> list[Requirement]:
    """The certifications people are measured against: those of the version in use at `at` (default: now)."""
    return list(_catalog().requirements) if at is None else _requirements(_versions_at(at))


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
    return list(db.session.scalars(select(CourseVersion).where(CourseVersion.id.in_(newest))))


def versions_in_use(at: datetime | None) -> list[CourseVersion]:
    return current_versions() if at is None else _versions_at(at)


def people_rows(ids_query: Select, at: datetime, as_of: bool, policy: RightsPolicy,
                reqs: list[Requirement]) -> list[PersonRow]:
    """A row of requirement cells for each person whose id `ids_query` selects.

    With as_of, only records that existed at `at` count, so a past date gives
    the same answer every time it is asked. Without it nothing is in the future,
    so the time filters are left out and the indexes cover the scans.
    """
    ids_query = _resolved(ids_query)
    person_query = _people_query(at if as_of else None).where(_in(User.id, ids_query)).order_by(User.full_name, User.id)
    until = at if as_of else None
    certificates = _certificates(ids_query, until, at)
    slug_of = _catalog().slug_of
    completions = _completions(ids_query, until, slug_of)
    activity = _activity(ids_query, until, slug_of)
    assignments = _assignments(ids_query, at)
    suspensions = suspensions_by_person(ids_query, until)
    platform_of = {r.slug: r.platform for r in policy.rights}
    no_completions: dict[str, datetime] = {}
    rows = []
    for pid, name, email, dept, manager_name, hired, active in _rows(person_query):  # streamed, read last
        mine = suspensions.get(pid)
        done, seen = completions.get(pid, no_completions), activity.get(pid, ())
        held, assigned = certificates.get(pid, ()), assignments.get(pid, ())
        cells = tuple(
            requirement_status(
                [c for c in held if c.slug == req.slug], req.module_slugs, done, seen,
                [a for slug, a in assigned if slug == req.slug],
                bool(mine) and any(s.right_slug is None or platform_of.get(s.right_slug) == req.slug for s in mine),
                at,
            )
            for req in reqs
        )
        rows.append(PersonRow(pid, name, email, dept or "", manager_name or "", hired, active, cells))
    return rows


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


def _resolved(ids_query: Select):
    """Run a team's scope (a recursive CTE) once, rather than inside each of the report's queries."""
    if ids_query is EVERYONE:
        return ids_query
    ids = _rows(ids_query.limit(RESOLVE_UP_TO + 1)).scalars().all()
    return _Ids(ids) if len(ids) <= RESOLVE_UP_TO else ids_query


def _in(column, ids_query):
    """`column IN (ids)`; nothing at all when the scope is everyone (the organization)."""
    if ids_query is EVERYONE:
        return true()
    return column.in_(list(ids_query)) if isinstance(ids_query, _Ids) else column.in_(ids_query)


_OLDER = aliased(Certificate)


def _certificates(ids_query: Select, as_of: datetime | None, at: datetime) -> dict[int, list[HeldCertificate]]:
    """Each person's certificates that can decide a cell: the newest of each certification, and any
    still valid at `at`. Earlier cycles' expired certificates (most rows, after a few years) cannot."""
    newest = select(func.max(_OLDER.issued_at)).where(
        _OLDER.user_id == Certificate.user_id, _OLDER.certification_slug == Certificate.certification_slug)
    if as_of is not None:
        newest = newest.where(_OLDER.issued_at <= as_of)
    query = (
        select(Certificate.user_id, Certificate.certification_slug, Certificate.issued_at, Certificate.expires_at,
               CertificateRevocation.revoked_at)
        .outerjoin(CertificateRevocation).where(_in(Certificate.user_id, ids_query))
        .where(or_(Certificate.expires_at > at, Certificate.issued_at == newest.scalar_subquery()))
    )
    if as_of is not None:
        query = query.where(Certificate.issued_at <= as_of)
    result = defaultdict(list)
    for uid, slug, issued, expires, revoked in _rows(query):  # streamed: a full export reads 100k+ rows
        if as_of is not None and revoked is not None and revoked > as_of:
            revoked = None
        result[uid].append(HeldCertificate(slug, issued, expires, revoked))
    return result


def _completions(ids_query: Select, until: datetime | None, slug_of: dict[int, str]) -> dict[int, dict[str, datetime]]:
    """The latest completion of each module (by slug, across course versions) for each person."""
    query = (select(ModuleCompletion.user_id, ModuleCompletion.module_id, func.max(ModuleCompletion.completed_at))
             .where(_in(ModuleCompletion.user_id, ids_query))
             .group_by(ModuleCompletion.user_id, ModuleCompletion.module_id))
    if until is not None:
        query = query.where(ModuleCompletion.completed_at <= until)
    result: dict[int, dict[str, datetime]] = defaultdict(dict)
    for uid, module_id, when in _rows(query):
        mine, slug = result[uid], slug_of[module_id]
        if slug not in mine or mine[slug] < when:
            mine[slug] = when
    return result


def _activity(ids_query: Select, until: datetime | None, slug_of: dict[int, str]) -> dict[int, list[str]]:
    """Modules each person has started. A quiz opens only after every lesson is read (start_attempt),
    so lesson views alone tell who has started; attempts add nothing. Lists, not sets: a few slugs
    each, and a set per person is a quarter of a full export's memory."""
    query = (select(LessonView.user_id, Lesson.module_id).join(Lesson, LessonView.lesson_id == Lesson.id)
             .where(_in(LessonView.user_id, ids_query)).distinct())
    if until is not None:
        query = query.where(LessonView.viewed_at <= until)
    result: dict[int, list[str]] = defaultdict(list)
    for uid, module_id in _rows(query):
        slug = slug_of[module_id]
        if slug not in result[uid]:  # one module's slug can come from several course versions
            result[uid].append(slug)
    return result


def _assignments(ids_query: Select, at: datetime) -> dict[int, list[tuple[str, OpenAssignment]]]:
    """Each person's assignments, with the certification each is for."""
    rows = _rows(
        select(Assignment.user_id, Assignment.certification_slug, Assignment.assigned_at, Assignment.due_at,
               Assignment.module_slugs)
        .where(_in(Assignment.user_id, ids_query), Assignment.assigned_at <= at)
    )
    result = defaultdict(list)
    for uid, slug, assigned, due, modules in rows:
        result[uid].append((slug, OpenAssignment(assigned, due, tuple(modules or ()))))
    return result

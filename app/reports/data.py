"""Load what the reports need in a fixed number of queries, whatever the number of people."""
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select

from app.accounts.models import Department, User
from app.assignments.models import Assignment
from app.certificates.models import Certificate, CertificateRevocation
from app.certificates.rules import HeldCertificate
from app.courses.models import CourseVersion, Lesson, LessonView, Module, ModuleCompletion
from app.courses.services import current_versions
from app.extensions import db
from app.quizzes.models import Attempt
from app.reports.rules import Cell, OpenAssignment, requirement_status
from app.rights.policy import RightsPolicy
from app.rights.services import suspensions_by_person


@dataclass(frozen=True)
class Requirement:
    slug: str
    title: str
    module_slugs: tuple[str, ...]
    short_title: str


@dataclass(frozen=True)
class PersonRow:
    id: int
    full_name: str
    email: str
    department: str
    manager_name: str
    hire_date: object
    active: bool
    cells: tuple[Cell, ...]


def requirements(at: datetime | None = None) -> list[Requirement]:
    """The certifications people are measured against: those of the version in use at `at` (default: now)."""
    versions = current_versions() if at is None else _versions_at(at)
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
    the same answer every time it is asked.
    """
    manager = User.__table__.alias("manager")
    person_query = (
        select(User.id, User.full_name, User.email, Department.name, manager.c.full_name, User.hire_date,
               User.active, User.deactivated_at)
        .outerjoin(Department, User.department_id == Department.id)
        .outerjoin(manager, User.manager_id == manager.c.id)
        .where(User.id.in_(ids_query))
        .order_by(User.full_name, User.id)
    )
    if as_of:
        person_query = person_query.where(User.created_at <= at)
    people = db.session.execute(person_query).all()
    certificates = _certificates(ids_query, at if as_of else None)
    completions = _completions(ids_query, at)
    activity = _activity(ids_query, at)
    assignments = _assignments(ids_query, at)
    suspensions = suspensions_by_person(ids_query, at if as_of else None)
    platform_of = {r.slug: r.platform for r in policy.rights}
    rows = []
    for pid, name, email, dept, manager_name, hired, active, deactivated_at in people:
        if as_of:
            active = deactivated_at is None or deactivated_at > at
        cells = []
        for req in reqs:
            suspended = any(
                s.right_slug is None or platform_of.get(s.right_slug) == req.slug for s in suspensions.get(pid, [])
            )
            cells.append(requirement_status(
                certificates.get((pid, req.slug), []), req.module_slugs, completions.get(pid, {}),
                activity.get(pid, set()), assignments.get((pid, req.slug), []), suspended, at,
            ))
        rows.append(PersonRow(pid, name, email, dept or "", manager_name or "", hired, active, tuple(cells)))
    return rows


def _certificates(ids_query: Select, as_of: datetime | None) -> dict:
    query = (
        select(Certificate.user_id, Certificate.certification_slug, Certificate.issued_at, Certificate.expires_at,
               CertificateRevocation.revoked_at)
        .outerjoin(CertificateRevocation).where(Certificate.user_id.in_(ids_query))
    )
    if as_of is not None:
        query = query.where(Certificate.issued_at <= as_of)
    result = defaultdict(list)
    for uid, slug, issued, expires, revoked in db.session.execute(query):
        if as_of is not None and revoked is not None and revoked > as_of:
            revoked = None
        result[(uid, slug)].append(HeldCertificate(slug, issued, expires, revoked))
    return result


def _completions(ids_query: Select, at: datetime) -> dict[int, dict[str, datetime]]:
    rows = db.session.execute(
        select(ModuleCompletion.user_id, Module.slug, func.max(ModuleCompletion.completed_at))
        .join(Module, ModuleCompletion.module_id == Module.id)
        .where(ModuleCompletion.user_id.in_(ids_query), ModuleCompletion.completed_at <= at)
        .group_by(ModuleCompletion.user_id, Module.slug)
    )
    result: dict[int, dict[str, datetime]] = defaultdict(dict)
    for uid, slug, when in rows:
        result[uid][slug] = when
    return result


def _activity(ids_query: Select, at: datetime) -> dict[int, set[str]]:
    views = (select(LessonView.user_id, Module.slug).join(Lesson, LessonView.lesson_id == Lesson.id)
             .join(Module, Lesson.module_id == Module.id)
             .where(LessonView.user_id.in_(ids_query), LessonView.viewed_at <= at).distinct())
    attempts = (select(Attempt.user_id, Module.slug).join(Module, Attempt.module_id == Module.id)
                .where(Attempt.user_id.in_(ids_query), Attempt.started_at <= at).distinct())
    result: dict[int, set[str]] = defaultdict(set)
    for uid, slug in db.session.execute(views.union(attempts)):
        result[uid].add(slug)
    return result


def _assignments(ids_query: Select, at: datetime) -> dict:
    rows = db.session.execute(
        select(Assignment.user_id, Assignment.certification_slug, Assignment.assigned_at, Assignment.due_at,
               Assignment.module_slugs)
        .where(Assignment.user_id.in_(ids_query), Assignment.assigned_at <= at)
    )
    result = defaultdict(list)
    for uid, slug, assigned, due, modules in rows:
        result[(uid, slug)].append(OpenAssignment(assigned, due, tuple(modules or ())))
    return result



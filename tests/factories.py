"""Factories and named personas for tests."""
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from app.accounts.models import Role, User
from app.accounts.passwords import hash_password
from app.accounts.placements import record_placements
from app.accounts.services import department_named
from app.extensions import db

PASSWORD = "correct horse battery staple"


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


_counter = iter(range(1, 1_000_000))


def make_user(full_name=None, *, email=None, role=Role.EMPLOYEE, manager=None, department="Nursing",
              active=True, must_change_password=False, hire_date=date(2026, 1, 5)) -> User:
    n = next(_counter)
    user = User(
        email=email or f"person{n}@test-health.example",
        full_name=full_name or f"Person {n}",
        role=role,
        manager=manager,
        department=department_named(department) if department else None,
        active=active,
        must_change_password=must_change_password,
        password_hash=_password_hash(),
        hire_date=hire_date,
    )
    db.session.add(user)
    db.session.flush()
    record_placements([user], user.created_at)
    return user


@dataclass
class Personas:
    """Two teams, each with a manager, two reports (one indirect), plus an admin and a deactivated user."""

    admin: User
    manager: User
    employee: User
    indirect: User
    other_manager: User
    other_employee: User
    deactivated: User

    @classmethod
    def create(cls) -> "Personas":
        admin = make_user("Ada Admin", email="ada@test-health.example", role=Role.ADMIN, department="Compliance")
        manager = make_user("Mona Manager", email="mona@test-health.example", role=Role.MANAGER)
        employee = make_user("Eli Employee", email="eli@test-health.example", manager=manager)
        lead = make_user("Lee Lead", email="lee@test-health.example", role=Role.MANAGER, manager=manager)
        indirect = make_user("Ivy Indirect", email="ivy@test-health.example", manager=lead)
        other_manager = make_user("Otto Other", email="otto@test-health.example", role=Role.MANAGER,
                                  department="Marketing")
        other_employee = make_user("Olga Other", email="olga@test-health.example", manager=other_manager,
                                   department="Marketing")
        deactivated = make_user("Dan Gone", email="dan@test-health.example", manager=manager, active=False)
        db.session.commit()
        return cls(admin, manager, employee, indirect, other_manager, other_employee, deactivated)


def pass_module(user: User, module_slug: str, now, course_slug: str = "test-course", render_pdfs: bool = True):
    """Read every lesson and pass the module's quiz through the real services."""
    from app.courses.services import current_module, record_lesson_view
    from app.quizzes.services import start_attempt, submit_attempt

    module = current_module(course_slug, module_slug)
    for lesson in module.lessons:
        record_lesson_view(user, lesson)
    attempt = start_attempt(user, module, now)
    answers = {aq.question_id: [o.id for o in aq.question.options if o.is_correct] for aq in attempt.questions}
    submission = submit_attempt(user, attempt, answers, now)
    db.session.commit()
    if render_pdfs:  # as the quiz view does after its commit
        from app.certificates.services import render_missing_pdfs, store_pdfs

        store_pdfs(render_missing_pdfs([c.id for c in submission.issued_certificates]))
        db.session.commit()
    return submission


def require(*users: User, at, slugs=("core",), due=None) -> None:
    """Make certifications required of these people from `at`, as onboarding or the HR file would
    (by hand: the personas are made without the app's create_person)."""
    from app.assignments.models import Assignment

    for user in users:
        for slug in slugs:
            db.session.add(Assignment(user_id=user.id, certification_slug=slug, reason="manual", assigned_at=at,
                                      due_at=due or at + timedelta(days=3650), module_slugs=[], note="test",
                                      dedupe_key=f"test:{slug}:{user.id}:{at.isoformat()}"))
    db.session.flush()


def certify(user: User, now, platforms=("instagram",)):
    """Pass the core modules (and the given platform modules) of the test course."""
    for slug in ("privacy", "replies", *platforms):
        pass_module(user, slug, now)

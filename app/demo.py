"""A demo organisation: an admin, two managers, a dozen employees in two departments.

The marketing team gets a realistic history (certified, expiring, expired, in
progress, overdue, new hire) so the dashboards show every state; the nursing
team starts fresh, ready to be walked through the course.
"""
import random
import unicodedata
from datetime import date, datetime, time, timedelta, timezone

from app.accounts.models import Role, User
from app.accounts.passwords import hash_password
from app.accounts.placements import record_placements
from app.accounts.services import department_named, find_by_email
from app.assignments.services import assign_onboarding
from app.extensions import db
from app.timestamps import utcnow

DEMO_PASSWORD = "postready-demo-2026"
DOMAIN = "demo-health.example"

NURSING = ["Ana Souza", "Ben Okafor", "Chloé Martin", "Dev Patel", "Emma Jones", "Farid Haddad"]
MARKETING = ["Grace Kim", "Hiro Tanaka", "Isabel Ruiz", "Jamal Wright", "Kateřina Nováková", "Liam O'Brien"]
# Started on the nursing team and moved to marketing this many days ago, so a roster "as of"
# an earlier date shows her under nursing.
MOVED_TO_MARKETING = ("Isabel Ruiz", 90)


def _email(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().replace("'", "")
    first, last = ascii_name.lower().split(" ", 1)
    return f"{first}.{last}@{DOMAIN}"


CORE = ["phi", "consent", "claims", "reviews", "workflow"]


def _hired_at(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=timezone.utc)


def _pass_modules(user: User, slugs: list[str], when: datetime) -> None:
    """Read the lessons and pass the quizzes, as of `when`, through the real services."""
    from app.certificates.services import render_missing_pdfs, store_pdfs
    from app.courses.services import current_module, current_versions, record_lesson_view
    from app.policy.services import attest, attestation_of, policy_in_force
    from app.quizzes.services import start_attempt, submit_attempt

    course = current_versions()[0].course.slug
    rng = random.Random(user.id)
    policy = policy_in_force(when)
    if policy is not None and attestation_of(user, policy) is None:
        attest(user, policy, True, user.full_name, when)  # read and signed before the first quiz
    for i, slug in enumerate(slugs):
        at = when + timedelta(minutes=20 * i)
        module = current_module(course, slug)
        for lesson in module.lessons:
            record_lesson_view(user, lesson)
        attempt = start_attempt(user, module, at, rng)
        answers = {aq.question_id: [o.id for o in aq.question.options if o.is_correct] for aq in attempt.questions}
        submission = submit_attempt(user, attempt, answers, at + timedelta(minutes=12))
        store_pdfs(render_missing_pdfs([c.id for c in submission.issued_certificates]))


def _marketing_history(people: dict[str, User], today: datetime) -> None:
    ago = lambda days: today - timedelta(days=days)  # noqa: E731
    _pass_modules(people["Grace Kim"], CORE + ["instagram", "facebook"], ago(200))      # certified
    _pass_modules(people["Hiro Tanaka"], CORE + ["linkedin"], ago(350))                 # expiring soon
    _pass_modules(people["Isabel Ruiz"], CORE + ["tiktok"], ago(400))                   # expired
    _pass_modules(people["Jamal Wright"], ["phi", "consent"], ago(6))                   # in progress
    _pass_modules(people["Marco Rossi"], CORE + ["linkedin", "youtube"], ago(120))      # the manager too


def _platforms_from_hr(people: dict[str, User], admin: User, today: datetime) -> None:
    """The HR file has named a few people's platforms for over a year."""
    from app.assignments.requirements import set_hr_platforms

    for name, platforms in (("Hiro Tanaka", {"linkedin"}), ("Isabel Ruiz", {"tiktok"}),
                            ("Marco Rossi", {"linkedin", "youtube"})):
        set_hr_platforms(admin, people[name], platforms, today - timedelta(days=400))


def _rules_and_requests(people: dict[str, User], admin: User, today: datetime) -> None:
    """Three weeks ago the marketing team was told to post on Instagram and Facebook (a rule); two
    people have asked to post somewhere new and wait for their manager."""
    from app.assignments.requests import request_platform
    from app.assignments.requirements import add_rule

    for slug in ("instagram", "facebook"):
        add_rule(admin, slug, department_named("Marketing").id, None, today - timedelta(days=21))
    request_platform(people["Jamal Wright"], "tiktok", "Short clips from our community health fair.",
                     today - timedelta(days=1))
    request_platform(people[NURSING[2]], "facebook", "Posts for the maternity ward's family page.",
                     today - timedelta(hours=5))


def create_demo_organisation() -> list[tuple[str, str]]:
    """Create the demo people unless they exist; return (email, role) for each. Caller commits."""
    password_hash = hash_password(DEMO_PASSWORD)
    created: list[tuple[str, str]] = []
    new: dict[str, User] = {}
    today = utcnow()

    def person(email, name, role, department=None, manager=None, hired=date(2021, 9, 1)):
        user = find_by_email(email)
        if user is None:
            user = User(email=email, full_name=name, role=role, password_hash=password_hash,
                        department=department_named(department) if department else None,
                        manager=manager, hire_date=hired, created_at=min(_hired_at(hired), today))
            db.session.add(user)
            db.session.flush()
            record_placements([user], user.created_at)
            assign_onboarding(user, min(_hired_at(hired), today))
            new[name] = user
        created.append((email, role))
        return user

    admin = person(f"admin@{DOMAIN}", "Morgan Admin", Role.ADMIN, "Compliance")
    nurse_manager = person(f"nina.manager@{DOMAIN}", "Nina Alvarez", Role.MANAGER, "Nursing")
    marketing_manager = person(f"marco.manager@{DOMAIN}", "Marco Rossi", Role.MANAGER, "Marketing")
    for i, name in enumerate(NURSING):
        hired = today.date() - timedelta(days=3 + 7 * i)  # recent hires, onboarding due in 30 days
        person(_email(name), name, Role.EMPLOYEE, "Nursing", nurse_manager, hired)
    marketing_hires = {"Kateřina Nováková": today.date() - timedelta(days=45),  # onboarding overdue
                       "Liam O'Brien": today.date() - timedelta(days=3),       # brand new
                       "Jamal Wright": today.date() - timedelta(days=20)}      # working through it
    for name in MARKETING:
        moved = name == MOVED_TO_MARKETING[0]
        person(_email(name), name, Role.EMPLOYEE, "Nursing" if moved else "Marketing",
               nurse_manager if moved else marketing_manager, marketing_hires.get(name, date(2019, 4, 1)))
    if MOVED_TO_MARKETING[0] in new:
        mover = new[MOVED_TO_MARKETING[0]]
        mover.department, mover.manager = department_named("Marketing"), marketing_manager
        db.session.flush()
        record_placements([mover], today - timedelta(days=MOVED_TO_MARKETING[1]))
    if "Grace Kim" in new:  # first run only: give the marketing team its history
        _platforms_from_hr({**new, "Marco Rossi": marketing_manager}, admin, today)
        _marketing_history({**new, "Marco Rossi": marketing_manager}, today)
        _rules_and_requests(new, admin, today)
        from app.assignments.services import assign_refreshers

        assign_refreshers(today - timedelta(days=60))  # the daily job, as it ran two months ago...
        assign_refreshers(today)                        # ...and today
        _post_check_counts(today)
    return created


def _post_check_counts(today: datetime) -> None:
    """Three months of what the checker found (counts only, as the product keeps them)."""
    from app.postcheck.models import PostCheckCount

    first = today.replace(day=1)
    for back, (checks, stop, review, found) in enumerate([
            (41, 6, 9, {"name": 4, "room_bed": 2, "unsupported_claim": 7, "missing_ad_disclosure": 2}),
            (57, 9, 11, {"name": 6, "confirms_patient": 3, "date": 2, "unsupported_claim": 8, "review_incentive": 3}),
            (33, 7, 5, {"name": 5, "identifying_combination": 2, "child": 1, "unsupported_claim": 4})], start=1):
        month = f"{(first - timedelta(days=28 * back)):%Y-%m}"
        counts = {"checks": checks, "verdict:stop": stop, "verdict:review": review,
                  "verdict:ok": checks - stop - review, **found}
        db.session.add_all(PostCheckCount(month=month, kind=k, count=n) for k, n in counts.items())

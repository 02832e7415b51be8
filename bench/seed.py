"""Seed a synthetic organisation: a few people whose histories go through the app's own models and
services, copied in bulk (bench/clone.py) up to N people.

~N/400 departments (at most 50), each with a head reporting to the admin; teams of 100 employees under
a team manager. A team manager and ten employees each get a story: attempts started and submitted
(`start_attempt`, `submit_attempt`) at past moments, so completions, certificates and audit events are
the app's own; lesson views, revocations, suspensions as model rows; assignments by the assignment
services. The manager is copied for every other team, the ten employees block by block to fill them.
Refresher week: most employees hold a core certificate expiring within 30 days and open attempts;
passing one on `workflow` or a platform module earns a certificate ("cert"), on the others nothing.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select, text

from bench.clone import Clone, maxima

PASSWORD = "bench-password-2026!"
TEAM_SIZE = 100
CORE = ["phi", "consent", "claims", "reviews", "workflow"]
DEPARTMENTS = ["Nursing", "Emergency", "Cardiology", "Oncology", "Pediatrics", "Radiology", "Pharmacy", "Surgery",
               "Marketing", "Communications", "Human Resources", "Finance"] + [f"Clinic {n}" for n in range(1, 39)]
# (name, days since hired, story). "cycle D p..": the core modules passed, the last D days ago, then
# platforms p; "pass D m..", "fail D m..": attempts submitted D days ago; "open m..": attempts started
# now, not submitted; "view m": lessons read; "revoke": the newest core certificate revoked;
# "suspend", "suspend-lifted": every posting right suspended by the manager (and restored).
LEAD = ("Morgan Reyes", 1500, ["cycle 200 facebook linkedin"])
TEAM = [
    ("Ana Souza", 2100, ["cycle 710 facebook instagram", "cycle 345 facebook instagram",
                         "pass 3 phi consent claims reviews", "open workflow linkedin youtube tiktok"]),
    ("Ben Okafor", 900, ["cycle 350 linkedin", "pass 3 phi consent claims reviews",
                         "open workflow facebook instagram youtube tiktok"]),
    ("Chloé Martin", 1500, ["cycle 720", "cycle 355 facebook", "open phi consent claims reviews"]),
    ("Dev Patel", 800, ["fail 355 phi", "cycle 350 youtube", "pass 2 phi consent", "open claims reviews"]),
    ("Emma Jones", 700, ["cycle 340 instagram", "pass 2 phi consent claims", "open reviews"]),
    ("Farid Haddad", 1200, ["cycle 358", "open phi consent claims reviews"]),
    ("Grace Kim", 600, ["cycle 150 facebook linkedin tiktok"]),
    ("Hiro Tanaka", 1900, ["cycle 700 facebook", "revoke", "suspend-lifted"]),
    ("Isabel Ruiz", 2000, ["cycle 720", "cycle 360 instagram", "cycle 5 instagram", "suspend"]),
    ("Jamal Wright", 12, ["view phi"]),
]


@dataclass
class Seed:
    people: int
    admin_email: str
    team_manager_id: int
    team_manager_email: str
    team_size: int
    api_token: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class OpenAttempt:
    attempt_id: int
    email: str
    module_slug: str
    correct: list[tuple[int, list[int]]]  # (question id, option ids) that pass
    wrong: list[tuple[int, list[int]]]    # 4 of 10 wrong: fails

    @property
    def pool(self) -> str:
        return "nocert" if self.module_slug in CORE[:4] else "cert"


class _Stories:
    """People and their histories, written through the app's models and services at past moments."""

    def __init__(self, db, now: datetime, password_hash: str):
        from app.courses.models import CourseVersion, Module

        self.db, self.now, self.password_hash, self.admin, self.viewed = db, now, password_hash, None, set()
        version = db.session.scalar(select(CourseVersion.id).order_by(CourseVersion.id.desc()).limit(1))
        modules = db.session.scalars(select(Module).where(Module.course_version_id == version))
        self.modules = {m.slug: m for m in modules}

    def person(self, name: str, role: str, manager, department, hired_days: int, story=()):
        from app.accounts.models import PersonPlacement, User

        hired, n = self.now - timedelta(days=hired_days), self.db.session.scalar(select(func.count(User.id)))
        local = "".join(ch for ch in name.lower().replace(" ", ".") if ch.isascii())
        user = User(email=f"{local}.{n}@bench-health.example", full_name=name, role=role, manager=manager,
                    department=department, hire_date=hired.date(), password_hash=self.password_hash,
                    must_change_password=False, created_at=hired)
        self.db.session.add(user)
        self.db.session.flush()
        self.db.session.add(PersonPlacement(user_id=user.id, effective_at=hired, department_id=department.id,
                                            manager_id=manager.id if manager else None, active=True,
                                            recorded_by_id=self.admin.id if self.admin else None))
        self.require(user, hired, story)
        for step in story:
            verb, *args = step.split()
            at = self.now - timedelta(days=int(args.pop(0)) if args and args[0].isdigit() else 0)
            if verb == "cycle":
                for i, slug in enumerate(CORE):
                    self.attempt(user, slug, at - timedelta(days=4 - i))
                for i, slug in enumerate(args, start=1):
                    self.attempt(user, slug, at + timedelta(hours=i))
            for i, slug in enumerate(args if verb in ("pass", "fail") else []):
                self.attempt(user, slug, at + timedelta(hours=3 * i), passed=verb == "pass")
            for slug in args if verb in ("open", "view") else []:
                self.view(user, slug, at - timedelta(hours=1))
                if verb == "open":
                    from app.quizzes.services import start_attempt

                    self.reread(user, slug, at - timedelta(minutes=30))
                    start_attempt(user, self.modules[slug], at - timedelta(minutes=20))
            if verb == "revoke":
                self.revoke(user)
            if verb.startswith("suspend"):
                self.suspend(user, lifted=verb.endswith("lifted"))
        self.db.session.commit()
        return user

    def require(self, user, hired: datetime, story) -> None:
        """Onboarding at hire, as the app assigns it, and the policy signed on the first day; the HR file
        names the platforms the story passes."""
        from app.assignments.requirements import set_hr_platforms
        from app.assignments.services import assign_onboarding
        from app.policy.services import attest, policy_in_force

        assign_onboarding(user, hired)
        policy = policy_in_force(hired)
        if policy is not None:
            attest(user, policy, True, user.full_name, hired)
        platforms = {slug for step in story if step.startswith("cycle") for slug in step.split()[2:]}
        if platforms:
            set_hr_platforms(None, user, platforms, hired)

    def view(self, user, slug: str, at: datetime) -> None:
        from app.courses.models import LessonView

        for lesson in self.modules[slug].lessons:
            if (user.id, lesson.id) not in self.viewed:
                self.viewed.add((user.id, lesson.id))
                self.db.session.add(LessonView(user_id=user.id, lesson_id=lesson.id, viewed_at=at))

    def reread(self, user, slug: str, at: datetime) -> None:
        """Reopen what the last failed attempt missed, as the quiz asks before a retake."""
        from app.quizzes.rereading import lessons_to_reread, note_reread

        for lesson in lessons_to_reread(user, self.modules[slug]):
            note_reread(user, lesson, at)

    def attempt(self, user, slug: str, at: datetime, passed: bool = True) -> None:
        from app.quizzes.services import start_attempt, submit_attempt

        self.view(user, slug, at - timedelta(hours=1))
        self.reread(user, slug, at - timedelta(minutes=30))
        attempt = start_attempt(user, self.modules[slug], at - timedelta(minutes=12))
        answers = {}
        for n, drawn in enumerate(attempt.questions):
            right = [o.id for o in drawn.question.options if o.is_correct]
            wrong = [o.id for o in drawn.question.options if not o.is_correct][:1]
            answers[drawn.question_id] = wrong if (not passed and n < 4 and wrong) else right
        submit_attempt(user, attempt, answers, at)
        self.db.session.commit()

    def revoke(self, user) -> None:
        from app.certificates.models import Certificate, CertificateRevocation

        cert = self.db.session.scalar(select(Certificate).where(
            Certificate.user_id == user.id, Certificate.certification_slug == "core").order_by(Certificate.id.desc()))
        self.db.session.add(CertificateRevocation(certificate_id=cert.id, revoked_by_id=self.admin.id,
                                                  revoked_at=cert.issued_at + timedelta(days=30),
                                                  reason="Posted a patient photo without authorization."))

    def suspend(self, user, lifted: bool) -> None:
        from app.rights.models import RightsSuspension, RightsSuspensionLift

        since = self.now - timedelta(days=40)
        suspension = RightsSuspension(user_id=user.id, right_slug=None, suspended_by_id=user.manager_id,
                                      suspended_at=since, reason="Shared a post about a patient visit; under review.")
        self.db.session.add(suspension)
        self.db.session.flush()
        if lifted:
            self.db.session.add(RightsSuspensionLift(suspension_id=suspension.id, lifted_by_id=user.manager_id,
                                                     lifted_at=since + timedelta(days=9), reason="Reviewed."))

    def assignments(self, newcomer=None) -> dict[str, int]:
        """The refreshers (and a newcomer's onboarding) as the app's daily job assigns them; then the ids so far."""
        from app.assignments.services import assign_onboarding, assign_refreshers

        assign_refreshers(self.now)
        if newcomer is not None:
            assign_onboarding(newcomer, self.now)
        self.db.session.commit()
        return maxima(self.db.session, self.db.metadata)


def seed(app, people: int, log=print) -> Seed:
    """Migrate a fresh database, sync the real courses/, write the stories, copy them up to `people`."""
    from flask_migrate import upgrade

    from app.accounts.models import Department
    from app.accounts.passwords import hash_password
    from app.api.services import create_token
    from app.courses.content import read_courses
    from app.courses.services import sync_courses
    from app.extensions import db, migrations
    from app.policy.document import read_policy_document
    from app.policy.services import sync_policy

    started = time.perf_counter()
    migrations(app)
    with app.app_context():
        upgrade()
        specs, problems = read_courses(app.config["COURSES_DIR"])
        if problems:
            raise RuntimeError("course problems: " + "; ".join(map(str, problems)))
        sync_courses(specs)
        now = datetime.now(timezone.utc)
        # The social media policy, in force since before anyone was hired, as `postready courses sync` loads it.
        sync_policy(read_policy_document(app.config["COURSES_DIR"])[0], now - timedelta(days=3000))
        n_depts = max(1, min(len(DEPARTMENTS), people // 400))
        stories = _Stories(db, now, hash_password(PASSWORD))
        depts = [Department(name=name) for name in DEPARTMENTS[:n_depts]]
        stories.admin = admin = stories.person("Morgan Admin", "admin", None, depts[-1], 2400)
        heads = [stories.person(f"Head of {d.name}", "manager", admin, d, 2000) for d in depts]
        marks = [stories.assignments()]
        lead = stories.person(*LEAD[:1], "manager", heads[0], depts[0], *LEAD[1:])
        marks.append(stories.assignments())
        team = [stories.person(name, "employee", lead, depts[0], hired, story) for name, hired, story in TEAM]
        marks.append(stories.assignments(team[-1]))
        lead_id, lead_email, admin_email = lead.id, lead.email, admin.email
        heads, depts = [h.id for h in heads], [d.id for d in depts]
        db.session.commit()  # on SQLite the session's transaction holds the write lock; the copies need it
        log(f"  {len(TEAM) + 1} stories through the app's services ({time.perf_counter() - started:.1f}s)")

        # Teams of TEAM_SIZE: the lead's, then copies of the lead, each filled with copies of the team.
        per_team, staff = max(1, TEAM_SIZE // len(TEAM)), people - 1 - n_depts
        teams = max(1, -(-staff // (1 + per_team * len(TEAM))))  # the last one may be short
        blocks = max(1, (staff - teams) // len(TEAM))
        clone = Clone(db.engine, db.metadata, log)
        where = [(heads[t % n_depts], depts[t % n_depts]) for t in range(teams)]
        leads = [lead_id] + [lead_id + moved for moved in clone.copy(marks[0], marks[1], heads[0], depts[0], where[1:])]
        clone.copy(marks[1], marks[2], lead_id, depts[0],
                   [(leads[b // per_team], where[b // per_team][1]) for b in range(1, blocks)])
        clone.finish()
        _, secret = create_token(None, "bench", now)
        db.session.commit()
        counts = {name: db.session.scalar(text(f"SELECT count(*) FROM {name}"))
                  for name in ("users", "attempts", "submissions", "certificates", "audit_events")}
        db.session.remove()
    return Seed(counts["users"], admin_email, lead_id, lead_email, min(per_team, blocks) * len(TEAM), secret,
                counts, time.perf_counter() - started)


def open_attempts(engine, limit: int) -> list[OpenAttempt]:
    """Up to `limit` open attempts, newest first, with the answers that pass them and answers that fail."""
    with engine.connect() as conn:
        options: dict[int, tuple[list[int], list[int]]] = {}
        for qid, oid, ok in conn.execute(text("SELECT question_id, id, is_correct FROM question_options ORDER BY id")):
            options.setdefault(qid, ([], []))[0 if ok else 1].append(oid)
        found: dict[int, OpenAttempt] = {}
        for aid, email, slug, qid in conn.execute(text(
                "SELECT a.id, u.email, m.slug, q.question_id FROM attempts a JOIN users u ON u.id = a.user_id "
                "JOIN modules m ON m.id = a.module_id JOIN attempt_questions q ON q.attempt_id = a.id "
                "WHERE a.id IN (SELECT a2.id FROM attempts a2 LEFT JOIN submissions s ON s.attempt_id = a2.id "
                "WHERE s.attempt_id IS NULL ORDER BY a2.id DESC LIMIT :limit) ORDER BY a.id DESC, q.position"),
                {"limit": limit}):
            attempt = found.setdefault(aid, OpenAttempt(aid, email, slug, [], []))
            right, wrong = options[qid]
            attempt.correct.append((qid, right))
            attempt.wrong.append((qid, wrong[:1] if len(attempt.wrong) < 4 and wrong else right))
    return list(found.values())


def pdf_holders(engine, limit: int) -> list[tuple[str, int]]:
    """(email, certificate id) of people whose core certificate is valid for months yet."""
    from app.accounts.models import User
    from app.certificates.models import Certificate, CertificateRevocation

    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(User.email, Certificate.id).join(User, User.id == Certificate.user_id)
            .outerjoin(CertificateRevocation)
            .where(Certificate.certification_slug == "core", CertificateRevocation.id.is_(None),
                   Certificate.expires_at > datetime.now(timezone.utc) + timedelta(days=90))
            .order_by(Certificate.id).limit(limit))]

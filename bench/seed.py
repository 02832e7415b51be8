"""Seed a synthetic organisation quickly, with SQLAlchemy Core bulk inserts.

Everything goes through the real schema: the database is migrated with
flask_migrate.upgrade, the real `courses/` are synced with the app's own
services, then people and several years of evidence are bulk-inserted
(never the ORM one row at a time): on SQLite one INSERT per table run with
the driver's executemany, on PostgreSQL COPY (bench/bulk.py). Values are
converted once, when each row is made, to what the app's column types store;
bench/evidence.py writes the evidence rows as the app records them.
Evidence tables are append-only (triggers refuse UPDATE/DELETE), so rows are
only ever inserted, each with its final values.

The shape, for N people:
  * ~50 departments (fewer for small N); each has a head (manager) reporting to
    the organisation's admin, and team managers with 100 direct reports each, so
    the longest reporting chain is employee -> team manager -> head -> admin.
  * Up to three yearly certification cycles per person, depending on tenure:
    five core module completions then the core certificate, plus platform
    certificates for some; each completion has its attempt, 10 drawn questions,
    submission and answers; some people failed an attempt first.
  * Some certificates are expired or revoked, some rights are suspended (half of
    those lifted), onboarding and refresher assignments, lesson views.
  * "Refresher week" pools for the quiz workloads: people whose core certificate
    expires within 30 days, who have passed k of the 5 core modules this cycle
    and have an open (started, unsubmitted) attempt on the next one. k = 4 in
    the `cert` pool (passing earns a new core certificate), k < 4 in `nocert`.
"""
from __future__ import annotations

import hashlib
import itertools
import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select, text

from bench.bulk import COLUMNS, BulkSink
from bench.evidence import CORE_ORDER, CourseInfo, ModuleInfo, OpenAttempt, Recorder

PLATFORM_SHARE = {"facebook": 0.35, "instagram": 0.30, "linkedin": 0.25, "youtube": 0.10, "tiktok": 0.08}
PASSWORD = "bench-password-2026!"
DOMAIN = "bench-health.example"
TEAM_SIZE = 100

FIRST = ["Ana", "Ben", "Chloé", "Dev", "Emma", "Farid", "Grace", "Hiro", "Isabel", "Jamal", "Kateřina", "Liam",
         "María", "Nguyen", "Olivia", "Priya", "Quentin", "Rania", "Sven", "Tomás", "Uma", "Víctor", "Wei", "Xiadani",
         "Yusuf", "Zoë", "Aiko", "Bjørn", "Céline", "Dmitri", "Esther", "Fatima", "Giovanni", "Hannah", "Ines"]
LAST = ["Souza", "Okafor", "Martin", "Patel", "Jones", "Haddad", "Kim", "Tanaka", "Ruiz", "Wright", "Nováková",
        "O'Brien", "García", "Tran", "Smith", "Iyer", "Dubois", "Mansour", "Larsen", "Álvarez", "Shah", "Chen",
        "Hernández", "Yilmaz", "Müller", "Sato", "Nilsen", "Lefèvre", "Ivanov", "Cohen", "Rahman", "Rossi", "Fischer",
        "Papadopoulos", "Kowalski", "李", "김", "عبد الله", "Lévy-Brühl"]
DEPARTMENTS = ["Nursing", "Emergency", "Cardiology", "Oncology", "Pediatrics", "Radiology", "Pharmacy", "Surgery",
               "Orthopedics", "Neurology", "Maternity", "Intensive Care", "Laboratory", "Physical Therapy",
               "Behavioral Health", "Primary Care", "Urgent Care", "Dermatology", "Gastroenterology", "Urology",
               "Nephrology", "Pulmonology", "Endocrinology", "Rheumatology", "Ophthalmology", "Dental",
               "Home Health", "Hospice", "Nutrition", "Respiratory Therapy", "Anesthesiology", "Pathology",
               "Infection Control", "Patient Experience", "Marketing", "Communications", "Community Outreach",
               "Foundation", "Human Resources", "Finance", "Information Technology", "Facilities", "Security",
               "Environmental Services", "Supply Chain", "Quality", "Compliance", "Legal", "Research", "Education"]


@dataclass
class SeedResult:
    people: int
    admin_email: str
    team_manager_id: int
    team_manager_email: str
    team_size: int
    api_token: str
    emails: list[str]                      # a sample of everyone's emails, for rotating look-ups
    open_attempts: dict[str, list[OpenAttempt]]
    pdf_holders: list[tuple[str, int]]     # (holder email, certificate id) with a stored PDF
    pdf_bytes: int
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _ascii(text_: str) -> str:
    import unicodedata

    out = unicodedata.normalize("NFKD", text_).encode("ascii", "ignore").decode().lower()
    out = "".join(ch for ch in out if ch.isalnum())
    return out or "x"


def seed(app, people: int, *, rng_seed: int = 20261125, pool_share: float = 0.5, cert_share: float = 0.25,
         log=print) -> SeedResult:
    """Migrate, sync courses and insert the organisation. `app` is a create_app() instance."""
    from flask_migrate import upgrade

    from app.accounts.passwords import hash_password
    from app.api.services import create_token
    from app.certificates.services import signing_key
    from app.database import utcnow
    from app.extensions import db, migrations

    started = time.perf_counter()
    rng = random.Random(rng_seed)
    migrations(app)
    with app.app_context():
        upgrade()
        course = _sync_course(app)
        log(f"  migrated and synced courses ({time.perf_counter() - started:.1f}s)")
        now = utcnow()
        engine = db.engine
        sink = BulkSink(engine)
        ids = {name: itertools.count(1) for name in COLUMNS}
        org = _Organisation(people, rng, ids, now)
        org.write(sink, hash_password(PASSWORD))
        log(f"  {len(org.users)} people in {org.departments} departments ({time.perf_counter() - started:.1f}s)")

        recorder = Recorder(sink, ids, rng, course, key=signing_key(), org=app.config["ORG_NAME"], now=now,
                            revoker_id=org.admin["id"])
        history = _History(org, recorder, rng, pool_share, cert_share)
        for n, user in enumerate(org.users):
            history.add(user)
            if n % 5000 == 0 and n:
                log(f"  history: {n}/{len(org.users)} people ({time.perf_counter() - started:.1f}s)")
            sink.flush()
        sink.flush(force=True)
        counts = dict(sink.counts)
        pdf_holders, pdf = _store_pdfs(sink, history, course, app.config["ORG_NAME"])
        if pdf_holders:
            counts["certificate_pdfs"] = sink.counts["certificate_pdfs"]
        _after_bulk_load(engine)
        _, secret = create_token(None, "bench", utcnow())
        db.session.commit()
        db.session.remove()
        engine.dispose()

    open_attempts = history.open_attempts
    for pool in open_attempts.values():
        rng.shuffle(pool)
    sample = [u["email"] for u in org.users]
    rng.shuffle(sample)
    manager, team_size = org.bench_team()
    return SeedResult(
        people=len(org.users), admin_email=org.admin["email"], team_manager_id=manager["id"],
        team_manager_email=manager["email"], team_size=team_size, api_token=secret, emails=sample[:5000],
        open_attempts=open_attempts, pdf_holders=pdf_holders, pdf_bytes=len(pdf), counts=counts,
        seconds=time.perf_counter() - started)


def _sync_course(app) -> CourseInfo:
    """The real courses/ synced with the app's own services; the latest version read back."""
    from app.courses.content import read_courses
    from app.courses.models import Certification, CourseVersion, Module
    from app.courses.services import sync_courses
    from app.extensions import db

    specs, problems = read_courses(app.config["COURSES_DIR"])
    if problems:
        raise RuntimeError("course problems: " + "; ".join(map(str, problems)))
    sync_courses(specs)
    db.session.commit()
    version = db.session.scalar(select(CourseVersion).order_by(CourseVersion.id.desc()).limit(1))
    modules: dict[str, ModuleInfo] = {}
    for m in db.session.scalars(select(Module).where(Module.course_version_id == version.id)):
        qs = {q.id: ([o.id for o in q.options], [o.id for o in q.options if o.is_correct]) for q in m.questions}
        modules[m.slug] = ModuleInfo(m.id, m.slug, m.kind, [lesson.id for lesson in m.lessons], qs, m.title)
    course = CourseInfo(
        version_id=version.id, version_label=version.version_label, version_title=version.title,
        course_slug=version.course.slug, pass_mark=version.pass_mark, validity=timedelta(days=version.validity_days),
        modules=modules, draw={m.slug: m.draw_count for m in version.modules},
        certifications={c.slug: (c.id, c.title, list(c.module_slugs)) for c in db.session.scalars(
            select(Certification).where(Certification.course_version_id == version.id))})
    # End the session's transaction: on SQLite it holds the write lock (BEGIN IMMEDIATE),
    # and the bulk inserts use their own connections.
    db.session.commit()
    return course


class _Organisation:
    """~50 departments; heads report to the admin, team managers to heads, up to 100 people per team."""

    def __init__(self, people: int, rng: random.Random, ids: dict, now: datetime):
        self.rng, self.ids, self.now = rng, ids, now
        self.departments = max(1, min(len(DEPARTMENTS), people // 400))
        self.dept_ids = [next(ids["departments"]) for _ in range(self.departments)]
        self.users: list[dict] = []
        self.admin = self._add("admin", None, self.dept_ids[-1], self._hire_date(800, 2400))
        self.admin["full_name"] = "Morgan Admin"
        self.admin["email"] = f"admin@{DOMAIN}"
        remaining = people - 1
        per_dept = [remaining // self.departments + (1 if i < remaining % self.departments else 0)
                    for i in range(self.departments)]
        self.team_managers: list[tuple[dict, int]] = []
        for did, size in zip(self.dept_ids, per_dept):
            if size <= 0:
                continue
            head = self._add("manager", self.admin["id"], did, self._hire_date(700, 2400))
            left = size - 1
            while left > 0:
                mgr = self._add("manager", head["id"], did, self._hire_date(400, 2400))
                left -= 1
                team = min(TEAM_SIZE, left)
                for _ in range(team):
                    self._add("employee", mgr["id"], did, self._hire_date())
                left -= team
                self.team_managers.append((mgr, team))
        self.managers_by_id = {m["id"]: m for m in self.users if m["role"] != "employee"}
        self.employees = [u for u in self.users if u["role"] == "employee"]

    def _add(self, role: str, manager_id: int | None, dept: int | None, hire: date) -> dict:
        uid = next(self.ids["users"])
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        self.users.append({"id": uid, "email": f"{_ascii(first)}.{_ascii(last)}.{uid}@{DOMAIN}",
                           "full_name": f"{first} {last}", "role": role, "manager_id": manager_id,
                           "department_id": dept, "hire_date": hire})
        return self.users[-1]

    def _hire_date(self, min_days: int = 20, max_days: int = 2200) -> date:
        return (self.now - timedelta(days=self.rng.randint(min_days, max_days))).date()

    def bench_team(self) -> tuple[dict, int]:
        """The first full team of 100 (else the largest): the team dashboard workload's manager."""
        return next(((m, t) for m, t in self.team_managers if t == TEAM_SIZE),
                    max(self.team_managers, key=lambda mt: mt[1]) if self.team_managers else (self.admin, 0))

    def write(self, sink: BulkSink, password_hash: str) -> None:
        cv, buffers = sink.cv, sink.buffers
        for did, name in zip(self.dept_ids, DEPARTMENTS):
            buffers["departments"].append((did, name))
        for u in self.users:
            created = datetime.combine(u["hire_date"], datetime.min.time(), tzinfo=timezone.utc)
            buffers["users"].append((u["id"], u["email"], u["full_name"], u["role"], u["manager_id"],
                                     u["department_id"], cv.day(u["hire_date"]), cv.flag(True), password_hash,
                                     cv.flag(False), secrets.token_urlsafe(24), cv.ts(created), None))
            buffers["person_placements"].append((next(self.ids["person_placements"]), u["id"], cv.ts(created),
                                                 u["department_id"], u["manager_id"], cv.flag(True)))
        sink.flush(force=True)


class _History:
    """Each person's years of evidence, and the refresher-week pools of open attempts."""

    def __init__(self, org: _Organisation, recorder: Recorder, rng: random.Random, pool_share: float,
                 cert_share: float):
        self.org, self.recorder, self.rng, self.now = org, recorder, rng, org.now
        self.sink_buffers, self.cv, self.ids = recorder.buffers, recorder.cv, recorder.ids
        tenured = [u for u in org.employees if (self.now.date() - u["hire_date"]).days >= 400]
        rng.shuffle(tenured)
        n_pool = int(len(tenured) * pool_share)
        n_cert = int(n_pool * cert_share)
        self.cert_pool = {u["id"] for u in tenured[:n_cert]}
        self.nocert_pool = {u["id"] for u in tenured[n_cert:n_pool]}
        self.open_attempts: dict[str, list[OpenAttempt]] = {"cert": [], "nocert": []}
        self.latest_core: dict[int, dict] = {}

    def add(self, user: dict) -> None:
        rng, now, cv, ids, buffers, rec = self.rng, self.now, self.cv, self.ids, self.sink_buffers, self.recorder
        uid = user["id"]
        hired = datetime.combine(user["hire_date"], datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=9)
        tenure = (now - hired).days
        buffers["assignments"].append((next(ids["assignments"]), uid, "core", "onboarding", cv.ts(hired),
                                       cv.ts(hired + timedelta(days=30)), cv.js([]), None, "",
                                       f"onboarding:core:{uid}"))
        platforms = [p for p, share in PLATFORM_SHARE.items() if rng.random() < share]
        if tenure < 40:  # a new hire, part way through onboarding
            for slug in CORE_ORDER[: rng.randint(0, 3)]:
                rec.complete(uid, slug, now - timedelta(days=rng.randint(1, max(1, tenure))))
            return
        in_pool = uid in self.cert_pool or uid in self.nocert_pool
        if in_pool:
            last_issue = now - timedelta(days=rng.randint(336, 360), hours=rng.randint(0, 12))
        else:
            last_issue = now - timedelta(days=rng.randint(0, min(tenure - 20, 395)), hours=rng.randint(0, 12))
        last_issue = min(last_issue, now - timedelta(hours=1))
        first_possible = hired + timedelta(days=20)
        n_cycles = 1 + min(2, max(0, (last_issue - first_possible).days // 365))
        core = None
        for k in range(n_cycles - 1, -1, -1):
            issued = last_issue - timedelta(days=365 * k + rng.randint(0, 10) if k else 0)
            core = rec.cycle(user, max(issued, first_possible), platforms)
        self.latest_core[uid] = core
        if core["expires_at"] - now <= timedelta(days=30):
            buffers["assignments"].append((
                next(ids["assignments"]), uid, "core", "refresher", cv.ts(core["expires_at"] - timedelta(days=30)),
                cv.ts(core["expires_at"]), cv.js([]), None, "Annual refresher",
                f"refresher:certificate:{core['id']}"))
        if uid in self.cert_pool:
            for i, slug in enumerate(CORE_ORDER[:4]):
                rec.complete(uid, slug, now - timedelta(days=3, hours=-i * 6))
            self._open(user, CORE_ORDER[4], "cert")  # the last core module: renews the core certificate
            # A platform never taken: its module earns that certificate (the core one is valid
            # for days yet, and still after a renewal), in either order with the attempt above.
            for slug in PLATFORM_SHARE:
                if slug not in platforms:
                    self._open(user, slug, "cert")
        elif uid in self.nocert_pool:
            k = rng.randint(0, 3)
            for i, slug in enumerate(CORE_ORDER[:k]):
                rec.complete(uid, slug, now - timedelta(days=3, hours=-i * 6))
            # Any of the core modules short of the last: passing them, in any order, earns nothing.
            for slug in CORE_ORDER[k:4]:
                self._open(user, slug, "nocert")
        if rng.random() < 0.01:
            self._suspend(user)

    def _open(self, user: dict, slug: str, pool: str) -> None:
        self.open_attempts[pool].append(self.recorder.open_attempt(user, slug, pool))

    def _suspend(self, user: dict) -> None:
        """A rights suspension by the person's manager; half are lifted later."""
        rng, now, cv, ids, buffers = self.rng, self.now, self.cv, self.ids, self.sink_buffers
        by = self.org.managers_by_id.get(user["manager_id"] or -1, self.org.admin)
        sid = next(ids["rights_suspensions"])
        since = now - timedelta(days=rng.randint(1, 300))
        buffers["rights_suspensions"].append((
            sid, user["id"], rng.choice([None, "post-instagram", "post-facebook"]),
            "Shared a post about a patient visit; under review.", by["id"], cv.ts(since)))
        if rng.random() < 0.5:
            buffers["rights_suspension_lifts"].append((
                next(ids["rights_suspension_lifts"]), sid, by["id"],
                cv.ts(min(now, since + timedelta(days=rng.randint(1, 20)))), "Reviewed with the privacy officer."))


def _store_pdfs(sink: BulkSink, history: _History, course: CourseInfo, org: str) -> tuple[list[tuple[str, int]], bytes]:
    """One real render, stored for 400 holders outside the quiz pools: the download workload's files."""
    from app.certificates.pdf import TEMPLATE_VERSION, CertificateDocument, render_certificate_pdf
    from app.certificates.services import verify_url

    holders = [u for u in history.org.employees if u["id"] in history.latest_core
               and u["id"] not in history.cert_pool and u["id"] not in history.nocert_pool][:400]
    if not holders:
        return [], b""
    c = history.latest_core[holders[0]["id"]]
    document = CertificateDocument(
        organization=org, holder_name=c["holder_name"], certification_title=course.certifications["core"][1],
        course_title=course.version_title, course_version=course.version_label,
        modules=tuple((m["title"], datetime.fromisoformat(m["completed_at"]).date()) for m in c["modules"]),
        issued_at=c["issued_at"], expires_at=c["expires_at"], code=c["code"], verify_url=verify_url(c["code"]))
    pdf = render_certificate_pdf(document)
    digest = hashlib.sha256(pdf).hexdigest()
    pdf_holders = []
    for u in holders:
        cid = history.latest_core[u["id"]]["id"]
        sink.buffers["certificate_pdfs"].append((cid, TEMPLATE_VERSION, digest, pdf))
        pdf_holders.append((u["email"], cid))
    sink.flush(force=True)
    return pdf_holders, pdf


def _after_bulk_load(engine) -> None:
    """PostgreSQL: sequences past the loaded ids, then VACUUM ANALYZE; SQLite: ANALYZE."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for name in COLUMNS:
                if "id" not in COLUMNS[name]:
                    continue
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                  f"GREATEST((SELECT COALESCE(MAX(id), 0) FROM {name}), 1))"))
        # As after any bulk load: the evidence-version triggers left a dead row version per
        # record loaded (all in a few transactions, so none could be pruned on the way).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))

"""Seed a synthetic organisation quickly, with SQLAlchemy Core bulk inserts.

Everything goes through the real schema: the database is migrated with
flask_migrate.upgrade, the real `courses/` are synced with the app's own
services, then people and several years of evidence are bulk-inserted
(never the ORM one row at a time): on SQLite one INSERT per table run with
the driver's executemany, on PostgreSQL COPY (bench/bulk.py). Values are
converted once, when each row is made, to what the app's column types store.
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
import json
import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select, text

from bench.bulk import COLUMNS, BulkSink

CORE_ORDER = ["phi", "consent", "claims", "reviews", "workflow"]
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
class ModuleInfo:
    id: int
    slug: str
    kind: str
    lesson_ids: list[int]
    # question id -> (option ids in position order, correct option ids)
    questions: dict[int, tuple[list[int], list[int]]]
    title: str


@dataclass
class OpenAttempt:
    attempt_id: int
    user_id: int
    email: str
    module_slug: str
    correct: list[tuple[int, list[int]]]   # (question id, correct option ids)
    wrong: list[tuple[int, list[int]]]     # answers that fail the quiz (4 of 10 wrong)
    pool: str                              # "cert" or "nocert"


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
    from app.certificates.services import signing_key, verify_url
    from app.courses.content import read_courses
    from app.courses.models import Certification, CourseVersion, Module
    from app.courses.services import sync_courses
    from app.database import utcnow
    from app.extensions import db

    started = time.perf_counter()
    rng = random.Random(rng_seed)
    from app.extensions import migrations

    migrations(app)
    with app.app_context():
        upgrade()
        specs, problems = read_courses(app.config["COURSES_DIR"])
        if problems:
            raise RuntimeError("course problems: " + "; ".join(map(str, problems)))
        sync_courses(specs)
        db.session.commit()
        log(f"  migrated and synced courses ({time.perf_counter() - started:.1f}s)")

        version = db.session.scalar(select(CourseVersion).order_by(CourseVersion.id.desc()).limit(1))
        modules: dict[str, ModuleInfo] = {}
        for m in db.session.scalars(select(Module).where(Module.course_version_id == version.id)):
            qs = {q.id: ([o.id for o in q.options], [o.id for o in q.options if o.is_correct]) for q in m.questions}
            modules[m.slug] = ModuleInfo(m.id, m.slug, m.kind, [lesson.id for lesson in m.lessons], qs, m.title)
        draw = {m.slug: m.draw_count for m in version.modules}
        certifications = {c.slug: (c.id, c.title, list(c.module_slugs))
                          for c in db.session.scalars(select(Certification)
                                                      .where(Certification.course_version_id == version.id))}
        validity = timedelta(days=version.validity_days)
        course_slug, version_label, version_id = version.course.slug, version.version_label, version.id
        pass_mark, version_title = version.pass_mark, version.title
        # End the session's transaction: on SQLite it holds the write lock (BEGIN IMMEDIATE),
        # and the bulk inserts below use their own connections.
        db.session.commit()
        key = signing_key()
        org = app.config["ORG_NAME"]
        now = utcnow()
        password_hash = hash_password(PASSWORD)

        engine = db.engine
        sink = BulkSink(engine)
        cv = sink.cv
        ids = {name: itertools.count(1) for name in COLUMNS}
        buffers = sink.buffers

        def flush(force: bool = False) -> None:
            sink.flush(force)

        # ---- people ------------------------------------------------------------------------
        n_depts = max(1, min(len(DEPARTMENTS), people // 400))
        dept_ids = []
        for name in DEPARTMENTS[:n_depts]:
            did = next(ids["departments"])
            dept_ids.append(did)
            buffers["departments"].append((did, name))

        users: list[dict] = []

        def add_user(role: str, manager_id: int | None, dept: int | None, hire: date) -> dict:
            uid = next(ids["users"])
            first, last = rng.choice(FIRST), rng.choice(LAST)
            users.append({"id": uid, "email": f"{_ascii(first)}.{_ascii(last)}.{uid}@{DOMAIN}",
                          "full_name": f"{first} {last}", "role": role, "manager_id": manager_id,
                          "department_id": dept, "hire_date": hire})
            return users[-1]

        def hire_date(min_days: int = 20, max_days: int = 2200) -> date:
            return (now - timedelta(days=rng.randint(min_days, max_days))).date()

        admin = add_user("admin", None, dept_ids[-1], hire_date(800, 2400))
        admin["full_name"] = "Morgan Admin"
        admin["email"] = f"admin@{DOMAIN}"
        remaining = people - 1
        per_dept = [remaining // n_depts + (1 if i < remaining % n_depts else 0) for i in range(n_depts)]
        team_managers: list[tuple[dict, int]] = []
        for did, size in zip(dept_ids, per_dept):
            if size <= 0:
                continue
            head = add_user("manager", admin["id"], did, hire_date(700, 2400))
            left = size - 1
            while left > 0:
                mgr = add_user("manager", head["id"], did, hire_date(400, 2400))
                left -= 1
                team = min(TEAM_SIZE, left)
                for _ in range(team):
                    add_user("employee", mgr["id"], did, hire_date())
                left -= team
                team_managers.append((mgr, team))
        bench_manager, team_size = next(((m, t) for m, t in team_managers if t == TEAM_SIZE),
                                        max(team_managers, key=lambda mt: mt[1]) if team_managers else (admin, 0))
        for u in users:
            created = datetime.combine(u["hire_date"], datetime.min.time(), tzinfo=timezone.utc)
            buffers["users"].append((u["id"], u["email"], u["full_name"], u["role"], u["manager_id"],
                                     u["department_id"], cv.day(u["hire_date"]), cv.flag(True), password_hash,
                                     cv.flag(False), secrets.token_urlsafe(24), cv.ts(created), None))
            buffers["person_placements"].append((next(ids["person_placements"]), u["id"], cv.ts(created),
                                                 u["department_id"], u["manager_id"], cv.flag(True)))
        flush(force=True)
        log(f"  {len(users)} people in {n_depts} departments ({time.perf_counter() - started:.1f}s)")

        # ---- history -------------------------------------------------------------------------
        lesson_seen: set[tuple[int, int]] = set()
        # A few shuffled option orders per question, drawn from at random (shuffling each time is slow).
        orders = {qid: [cv.js(rng.sample(opts, len(opts))) for _ in range(6)]
                  for info in modules.values() for qid, (opts, _) in info.questions.items()}
        question_ids = {slug: sorted(info.questions) for slug, info in modules.items()}
        passed_flag, failed_flag = cv.flag(True), cv.flag(False)

        def attempt(user_id: int, slug: str, started: datetime, submitted: datetime | None, passed: bool) -> int:
            info = modules[slug]
            aid = next(ids["attempts"])
            buffers["attempts"].append((aid, user_id, info.id, cv.ts(started)))
            wrong_left = 0 if passed else 4
            correct = 0
            drawn = rng.sample(question_ids[slug], draw[slug])
            aq_rows, answer_rows = buffers["attempt_questions"], buffers["answers"]
            for position, qid in enumerate(drawn, start=1):
                aqid = next(ids["attempt_questions"])
                aq_rows.append((aqid, aid, qid, position, orders[qid][position % 6]))
                options, right = info.questions[qid]
                chosen = right
                if wrong_left and len(options) > len(right):
                    chosen = [next(o for o in options if o not in right)]
                    wrong_left -= 1
                else:
                    correct += 1
                for oid in chosen:
                    answer_rows.append((next(ids["answers"]), aid, aqid, oid))
            count = len(drawn)
            ok = correct * 100 >= pass_mark * count
            buffers["submissions"].append((aid, cv.ts(submitted), correct, count, correct * 100 // count, pass_mark,
                                           passed_flag if ok else failed_flag))
            return aid

        def complete(user_id: int, slug: str, at: datetime) -> dict:
            info = modules[slug]
            seen = cv.ts(at - timedelta(hours=2))
            for lid in info.lesson_ids:
                if (user_id, lid) not in lesson_seen:
                    lesson_seen.add((user_id, lid))
                    buffers["lesson_views"].append((next(ids["lesson_views"]), user_id, lid, seen))
            if rng.random() < 0.1:  # failed once first
                failed_at = at - timedelta(days=1)
                attempt(user_id, slug, failed_at - timedelta(minutes=15), failed_at, passed=False)
            aid = attempt(user_id, slug, at - timedelta(minutes=15), at, passed=True)
            buffers["module_completions"].append((next(ids["module_completions"]), user_id, info.id, version_id, aid,
                                                  cv.ts(at)))
            return {"slug": slug, "title": info.title, "completed_at": at.isoformat(), "course_version": version_label}

        cert_cycles: dict[tuple[int, str], int] = {}
        key_id = key.key_id

        def certificate(user: dict, slug: str, issued: datetime, module_list: list[dict]) -> dict:
            cert_id, cert_title, _ = certifications[slug]
            cycle = cert_cycles.get((user["id"], slug), 0) + 1
            cert_cycles[(user["id"], slug)] = cycle
            code = secrets.token_urlsafe(20)
            expires = issued + validity
            payload = json.dumps({
                "v": 1, "code": code, "organization": org, "holder": user["full_name"], "certification": slug,
                "certification_title": cert_title, "course": course_slug, "course_version": version_label,
                "cycle": cycle, "modules": module_list, "issued_at": issued.isoformat(),
                "expires_at": expires.isoformat(), "key_id": key_id,
            }, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            row = {"id": next(ids["certificates"]), "code": code, "holder_name": user["full_name"],
                   "modules": module_list, "issued_at": issued, "expires_at": expires}
            buffers["certificates"].append((row["id"], code, user["id"], cert_id, slug, version_id, cycle,
                                            user["full_name"], cv.js(module_list), cv.ts(issued), cv.ts(expires),
                                            payload, key.sign(payload), key_id))
            if rng.random() < 0.003 and issued + timedelta(days=10) < now:
                buffers["certificate_revocations"].append((
                    next(ids["certificate_revocations"]), row["id"],
                    cv.ts(min(now, issued + timedelta(days=rng.randint(10, 100)))), admin["id"],
                    "Posted a patient photo without authorization."))
            return row

        def cycle(user: dict, issued: datetime, platforms: list[str]) -> dict:
            """Five core completions ending at `issued`, the core certificate, then platform ones."""
            uid = user["id"]
            done = []
            start = issued - timedelta(days=rng.randint(1, 14))
            span = (issued - start) / 4
            for i, slug in enumerate(CORE_ORDER):
                done.append(complete(uid, slug, issued if i == 4 else start + span * i))
            core = certificate(user, "core", issued, done)
            for slug in platforms:
                at = issued + timedelta(hours=rng.randint(1, 72))
                if at >= now:
                    continue
                certificate(user, slug, at, [complete(uid, slug, at)])
            return core

        managers_by_id = {m["id"]: m for m in users if m["role"] != "employee"}
        employees = [u for u in users if u["role"] == "employee"]
        tenured = [u for u in employees if (now.date() - u["hire_date"]).days >= 400]
        rng.shuffle(tenured)
        n_pool = int(len(tenured) * pool_share)
        n_cert = int(n_pool * cert_share)
        cert_pool = {u["id"] for u in tenured[:n_cert]}
        nocert_pool = {u["id"] for u in tenured[n_cert:n_pool]}
        open_attempts: dict[str, list[OpenAttempt]] = {"cert": [], "nocert": []}
        latest_core: dict[int, dict] = {}

        def open_attempt(user: dict, slug: str, pool: str) -> None:
            info = modules[slug]
            aid = next(ids["attempts"])
            buffers["attempts"].append((aid, user["id"], info.id, cv.ts(now - timedelta(minutes=rng.randint(1, 30)))))
            correct, wrong = [], []
            for position, qid in enumerate(rng.sample(question_ids[slug], draw[slug]), start=1):
                options, right = info.questions[qid]
                buffers["attempt_questions"].append((next(ids["attempt_questions"]), aid, qid, position,
                                                     cv.js(rng.sample(options, len(options)))))
                correct.append((qid, right))
                bad = [o for o in options if o not in right][:1]
                wrong.append((qid, bad if position <= 4 and bad else right))
            open_attempts[pool].append(OpenAttempt(aid, user["id"], user["email"], slug, correct, wrong, pool))

        for n, user in enumerate(users):
            uid = user["id"]
            hired = datetime.combine(user["hire_date"], datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=9)
            tenure = (now - hired).days
            buffers["assignments"].append((next(ids["assignments"]), uid, "core", "onboarding", cv.ts(hired),
                                           cv.ts(hired + timedelta(days=30)), cv.js([]), None, "",
                                           f"onboarding:core:{uid}"))
            platforms = [p for p, share in PLATFORM_SHARE.items() if rng.random() < share]
            if tenure < 40:  # a new hire, part way through onboarding
                for slug in CORE_ORDER[: rng.randint(0, 3)]:
                    complete(uid, slug, now - timedelta(days=rng.randint(1, max(1, tenure))))
                flush()
                continue
            in_pool = uid in cert_pool or uid in nocert_pool
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
                core = cycle(user, max(issued, first_possible), platforms)
            latest_core[uid] = core
            if core["expires_at"] - now <= timedelta(days=30):
                buffers["assignments"].append((
                    next(ids["assignments"]), uid, "core", "refresher", cv.ts(core["expires_at"] - timedelta(days=30)),
                    cv.ts(core["expires_at"]), cv.js([]), None, "Annual refresher",
                    f"refresher:certificate:{core['id']}"))
            if uid in cert_pool:
                for i, slug in enumerate(CORE_ORDER[:4]):
                    complete(uid, slug, now - timedelta(days=3, hours=-i * 6))
                open_attempt(user, CORE_ORDER[4], "cert")  # the last core module: renews the core certificate
                # A platform never taken: its module earns that certificate (the core one is valid
                # for days yet, and still after a renewal), in either order with the attempt above.
                for slug in PLATFORM_SHARE:
                    if slug not in platforms:
                        open_attempt(user, slug, "cert")
            elif uid in nocert_pool:
                k = rng.randint(0, 3)
                for i, slug in enumerate(CORE_ORDER[:k]):
                    complete(uid, slug, now - timedelta(days=3, hours=-i * 6))
                # Any of the core modules short of the last: passing them, in any order, earns nothing.
                for slug in CORE_ORDER[k:4]:
                    open_attempt(user, slug, "nocert")
            if rng.random() < 0.01:
                by = managers_by_id.get(user["manager_id"] or -1, admin)
                sid = next(ids["rights_suspensions"])
                since = now - timedelta(days=rng.randint(1, 300))
                buffers["rights_suspensions"].append((
                    sid, uid, rng.choice([None, "post-instagram", "post-facebook"]),
                    "Shared a post about a patient visit; under review.", by["id"], cv.ts(since)))
                if rng.random() < 0.5:
                    buffers["rights_suspension_lifts"].append((
                        next(ids["rights_suspension_lifts"]), sid, by["id"],
                        cv.ts(min(now, since + timedelta(days=rng.randint(1, 20)))), "Reviewed with the privacy officer."))
            if n % 5000 == 0 and n:
                log(f"  history: {n}/{len(users)} people ({time.perf_counter() - started:.1f}s)")
            flush()
        flush(force=True)
        counts = dict(sink.counts)

        # ---- stored PDFs for the download workload, one real render reused --------------------------
        from app.certificates.pdf import TEMPLATE_VERSION, CertificateDocument, render_certificate_pdf

        holders = [u for u in employees if u["id"] in latest_core and u["id"] not in cert_pool
                   and u["id"] not in nocert_pool][:400]
        pdf_holders: list[tuple[str, int]] = []
        pdf = b""
        if holders:
            c = latest_core[holders[0]["id"]]
            document = CertificateDocument(
                organization=org, holder_name=c["holder_name"], certification_title=certifications["core"][1],
                course_title=version_title, course_version=version_label,
                modules=tuple((m["title"], datetime.fromisoformat(m["completed_at"]).date()) for m in c["modules"]),
                issued_at=c["issued_at"], expires_at=c["expires_at"], code=c["code"], verify_url=verify_url(c["code"]))
            pdf = render_certificate_pdf(document)
            digest = hashlib.sha256(pdf).hexdigest()
            for u in holders:
                cid = latest_core[u["id"]]["id"]
                buffers["certificate_pdfs"].append((cid, TEMPLATE_VERSION, digest, pdf))
                pdf_holders.append((u["email"], cid))
            flush(force=True)
            counts["certificate_pdfs"] = sink.counts["certificate_pdfs"]

        # ---- sequences (PostgreSQL), token ----------------------------------------------------
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
        _, secret = create_token(None, "bench", utcnow())
        db.session.commit()
        db.session.remove()
        engine.dispose()

    for pool in open_attempts.values():
        rng.shuffle(pool)
    sample = [u["email"] for u in users]
    rng.shuffle(sample)
    return SeedResult(
        people=len(users), admin_email=admin["email"], team_manager_id=bench_manager["id"],
        team_manager_email=bench_manager["email"], team_size=team_size, api_token=secret, emails=sample[:5000],
        open_attempts=open_attempts, pdf_holders=pdf_holders, pdf_bytes=len(pdf), counts=counts,
        seconds=time.perf_counter() - started)

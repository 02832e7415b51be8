"""The floors: a tiny Flask app doing the least work each workload could do, served by gunicorn like
PostReady against the same database. Every PostReady figure is a ratio to one of:

  GET  /floor/json                  a bare JSON answer
  GET  /floor/people/<email>        one indexed lookup among the N users
  POST /floor/insert                insert one row and commit (bench_floor_writes, made here)
  GET  /floor/team/<manager>[.csv]  a team's report: one query, a plain loop, HTML or CSV
  GET  /floor/export.csv            the organisation report: one aggregation query, a plain loop, csv.writer

SQLite connections are set up as the app's (WAL, foreign keys, busy timeout, synchronous=FULL, BEGIN
IMMEDIATE to write): the insert pays for the same durability. DATABASE_URL=... COURSES_DIR=... gunicorn bench.floors:app
"""
import csv
import io
import json
import os
import sqlite3
from datetime import datetime, timedelta, timezone
from html import escape
from pathlib import Path

import yaml
from flask import Flask, Response, jsonify, request
from sqlalchemy import create_engine, event, text

CERTIFICATIONS = ("core", "facebook", "instagram", "linkedin", "youtube", "tiktok")
TEAM = text("""SELECT u.id, u.full_name, u.email, c.certification_slug, MAX(c.expires_at) FROM users u
    LEFT JOIN certificates c ON c.user_id = u.id
        AND NOT EXISTS (SELECT 1 FROM certificate_revocations r WHERE r.certificate_id = c.id)
    WHERE u.manager_id = :manager AND u.active
    GROUP BY u.id, u.full_name, u.email, c.certification_slug ORDER BY u.full_name, u.id""")
# For every active person and current certification, what the app's status rule reads: the newest
# certificate and its end, the latest valid expiry, modules completed (and since the newest certificate),
# lessons opened, the earliest open assignment, suspensions in force. `label` words it as the app does.
REQUIREMENTS = text("""SELECT c.slug, c.title, c.module_slugs FROM certifications c
    JOIN course_versions v ON v.id = c.course_version_id
    WHERE v.id IN (SELECT MAX(id) FROM course_versions GROUP BY course_id) ORDER BY v.title, c.position""")
REPORT = """WITH req(cert, module) AS (VALUES {modules}), right_cert(right_slug, cert) AS (VALUES {rights}),
ranked AS (SELECT c.user_id, c.certification_slug AS cert, c.issued_at, c.expires_at, r.revoked_at,
        ROW_NUMBER() OVER (PARTITION BY c.user_id, c.certification_slug ORDER BY c.issued_at DESC) AS newest,
        MAX(CASE WHEN c.expires_at > :now AND r.revoked_at IS NULL THEN c.expires_at END)
            OVER (PARTITION BY c.user_id, c.certification_slug) AS valid_until
    FROM certificates c LEFT JOIN certificate_revocations r ON r.certificate_id = c.id),
cert_stats AS (SELECT user_id, cert, issued_at AS latest_issued, expires_at AS latest_expires,
        revoked_at AS latest_revoked, valid_until FROM ranked WHERE newest = 1),
done AS (SELECT mc.user_id, m.slug AS module, MAX(mc.completed_at) AS done_at
    FROM module_completions mc JOIN modules m ON m.id = mc.module_id GROUP BY mc.user_id, m.slug),
progress AS (SELECT d.user_id, q.cert, COUNT(*) AS done_n,
        SUM(CASE WHEN d.done_at > s.latest_issued THEN 1 ELSE 0 END) AS fresh_n
    FROM done d JOIN req q ON q.module = d.module LEFT JOIN cert_stats s ON s.user_id = d.user_id AND s.cert = q.cert
    GROUP BY d.user_id, q.cert),
started AS (SELECT DISTINCT v.user_id, q.cert
    FROM (SELECT DISTINCT lv.user_id, l.module_id FROM lesson_views lv JOIN lessons l ON l.id = lv.lesson_id) v
    JOIN modules m ON m.id = v.module_id JOIN req q ON q.module = m.slug),
live AS (SELECT a.* FROM assignments a
    WHERE NOT EXISTS (SELECT 1 FROM assignment_withdrawals w WHERE w.assignment_id = a.id)),
required AS (SELECT DISTINCT user_id, certification_slug AS cert FROM live
    WHERE reason IN ('onboarding', 'manual', 'rule', 'hr-import', 'request') AND assigned_at <= :now),
open_due AS (SELECT a.user_id, a.certification_slug AS cert, MIN(a.due_at) AS due_at
    FROM live a LEFT JOIN cert_stats s ON s.user_id = a.user_id AND s.cert = a.certification_slug
    WHERE a.assigned_at <= :now AND CASE
        WHEN a.module_slugs IS NULL OR CAST(a.module_slugs AS TEXT) IN ('[]', 'null')
            THEN s.latest_issued IS NULL OR s.latest_issued < a.assigned_at
        ELSE EXISTS (SELECT 1 FROM req q WHERE q.cert = a.certification_slug
            AND CAST(a.module_slugs AS TEXT) LIKE '%"' || q.module || '"%' AND NOT EXISTS (SELECT 1 FROM done d
                WHERE d.user_id = a.user_id AND d.module = q.module AND d.done_at >= a.assigned_at)) END
    GROUP BY a.user_id, a.certification_slug),
suspended AS (SELECT DISTINCT s.user_id, COALESCE(rc.cert, '*') AS cert FROM rights_suspensions s
    LEFT JOIN rights_suspension_lifts l ON l.suspension_id = s.id
    LEFT JOIN right_cert rc ON rc.right_slug = s.right_slug
    WHERE l.id IS NULL AND (s.right_slug IS NULL OR rc.cert IS NOT NULL)),
suspended_cell AS (SELECT DISTINCT x.user_id, q.cert FROM suspended x
    JOIN (SELECT DISTINCT cert FROM req) q ON x.cert IN ('*', q.cert))
SELECT u.id, u.full_name, u.email, dp.name, mg.full_name, u.hire_date, q.cert, cs.valid_until, cs.latest_issued,
    cs.latest_expires, cs.latest_revoked, COALESCE(p.done_n, 0), COALESCE(p.fresh_n, 0), st.user_id IS NOT NULL,
    od.due_at, sc.user_id IS NOT NULL, rq.user_id IS NOT NULL
FROM users u CROSS JOIN (SELECT DISTINCT cert FROM req) q
LEFT JOIN departments dp ON dp.id = u.department_id LEFT JOIN users mg ON mg.id = u.manager_id
LEFT JOIN cert_stats cs ON cs.user_id = u.id AND cs.cert = q.cert
LEFT JOIN progress p ON p.user_id = u.id AND p.cert = q.cert
LEFT JOIN started st ON st.user_id = u.id AND st.cert = q.cert
LEFT JOIN open_due od ON od.user_id = u.id AND od.cert = q.cert
LEFT JOIN suspended_cell sc ON sc.user_id = u.id AND sc.cert = q.cert
LEFT JOIN required rq ON rq.user_id = u.id AND rq.cert = q.cert
WHERE u.active"""


def when(value) -> datetime | None:
    if value is not None and not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value))
    return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)


def label(now, valid_until, issued, expires, revoked, done_n, fresh_n, n_modules, started, due_at, suspended) -> str:
    day = "{:%-d %b %Y}".format
    if suspended:
        return "Suspended"
    if due_at is not None and due_at <= now:
        return f"Overdue since {day(due_at)}"
    if valid_until is not None:
        return f"{'Expiring' if valid_until - now <= timedelta(days=30) else 'Certified until'} {day(valid_until)}"
    if issued is not None:
        return "Passed" if fresh_n == n_modules else \
            f"Expired {day(revoked if revoked is not None and revoked <= now else expires)}"
    if n_modules and done_n == n_modules:
        return "Passed"
    return "In progress" if started or done_n else "Not started"


def safe(value) -> str:
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(("=", "+", "-", "@", "\t", "\r", "\n")) else value


def export_csv(conn, courses_dir: str) -> str:
    now, pg = datetime.now(timezone.utc), conn.dialect.name == "postgresql"
    if pg:  # the JIT would spend longer compiling this plan than the query runs
        conn.execute(text("SET jit = off"))
    reqs = [(slug, title, json.loads(modules) if isinstance(modules, str) else list(modules))
            for slug, title, modules in conn.execute(REQUIREMENTS)]
    rights = yaml.safe_load((Path(courses_dir) / "rights.yaml").read_text(encoding="utf-8"))["rights"]
    params = {"now": now if pg else now.replace(tzinfo=None).isoformat(" ")}
    pairs = [(slug, m) for slug, _, modules in reqs for m in modules] or [(None, None)]
    platforms = [(r["slug"], r["platform"]) for r in rights if r.get("platform")] or [(None, None)]
    for name, values in (("m", pairs), ("r", platforms)):
        params.update({f"{name}{i}_{j}": v for i, pair in enumerate(values) for j, v in enumerate(pair)})
    query = REPORT.format(modules=", ".join(f"(:m{i}_0, :m{i}_1)" for i in range(len(pairs))),
                          rights=", ".join(f"(:r{i}_0, :r{i}_1)" for i in range(len(platforms))))
    index, people, applies = {slug: i for i, (slug, _, _) in enumerate(reqs)}, {}, {"core"}
    for uid, name, email, dept, manager, hired, cert, *cell in conn.execute(text(query), params):
        row = people.get(uid) or people.setdefault(uid, [name, email, dept or "", manager or "", hired or "", "yes"]
                                                   + [""] * len(reqs))
        valid_until, issued, expires, revoked, done_n, fresh_n, started, due_at, suspended, required = cell
        word = label(now, when(valid_until), when(issued), when(expires), when(revoked), done_n,
                     fresh_n, len(reqs[index[cert]][2]), bool(started), when(due_at), bool(suspended))
        if required:
            applies.add(cert)
        row[6 + index[cert]] = word if required else "Not required" if word == "Not started" else f"{word} (optional)"
    keep = [i for i, (slug, _, _) in enumerate(reqs) if slug in applies]  # a column for what applies to someone
    reqs = [reqs[i] for i in keep]
    people = {uid: row[:6] + [row[6 + i] for i in keep] for uid, row in people.items()}
    out = io.StringIO()
    out.write("\ufeff")  # the byte-order mark the app's CSV starts with (for Excel): the same bytes
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(map(safe, ["Name", "Email", "Department", "Manager", "Hire date", "Active", *(r[1] for r in reqs)]))
    writer.writerows(map(safe, row) for _, row in sorted(people.items(), key=lambda p: (p[1][0].casefold(), p[0])))
    return out.getvalue()


def team_rows(conn, manager_id: int) -> list[list[str]]:
    now, people = datetime.now(timezone.utc), {}
    for uid, name, email, slug, expires in conn.execute(TEAM, {"manager": manager_id}):
        row = people.setdefault(uid, [name, email] + ["Not started"] * len(CERTIFICATIONS))
        if slug in CERTIFICATIONS:
            expires = when(expires)
            status = "Certified until" if expires > now else "Expired"
            row[2 + CERTIFICATIONS.index(slug)] = f"{status} {expires:%-d %b %Y}"
    return list(people.values())


def create_app(url: str | None = None, courses_dir: str | None = None) -> Flask:
    courses_dir = courses_dir or os.environ["COURSES_DIR"]  # the app's, for rights.yaml
    engine = create_engine(url or os.environ["DATABASE_URL"], pool_pre_ping=True)
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record):
            if isinstance(dbapi_connection, sqlite3.Connection):
                dbapi_connection.isolation_level = None
                for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=30000", "synchronous=FULL"):
                    dbapi_connection.execute(f"PRAGMA {pragma}")

        @event.listens_for(engine, "begin")
        def _begin(conn):
            if not conn.connection.driver_connection.in_transaction:  # else begun by the app's listener (tests)
                conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("bench_write") else "BEGIN")
    with engine.connect().execution_options(bench_write=True) as conn, conn.begin():
        if not sqlite:  # two workers booting at once would race on CREATE TABLE IF NOT EXISTS
            conn.execute(text("SELECT pg_advisory_xact_lock(20261125)"))
        conn.execute(text("CREATE TABLE IF NOT EXISTS bench_floor_writes (id {} PRIMARY KEY, note VARCHAR(100), "
                          "created_at VARCHAR(40))".format("INTEGER" if sqlite else "SERIAL")))
    engine.dispose()  # gunicorn forks after import: each worker opens its own connections
    app = Flask(__name__)

    @app.get("/floor/json")
    def bare_json():
        return jsonify(ok=True, checked_at=datetime.now(timezone.utc).isoformat())

    @app.get("/floor/people/<path:email>")
    def lookup(email: str):
        with engine.connect() as conn:
            row = conn.execute(text("SELECT id, email, full_name, active FROM users WHERE email = :email"),
                               {"email": email.strip().lower()}).first()
        return jsonify(id=row.id, email=row.email, name=row.full_name, active=bool(row.active)) if row else ("", 404)

    @app.post("/floor/insert")
    def insert_one():
        with engine.connect().execution_options(bench_write=True) as conn, conn.begin():
            new_id = conn.execute(text("INSERT INTO bench_floor_writes (note, created_at) VALUES (:n, :t) "
                                       "RETURNING id"),
                                  {"n": request.form.get("note", "")[:100],
                                   "t": datetime.now(timezone.utc).isoformat()}).scalar_one()
        return jsonify(id=new_id), 201

    @app.get("/floor/team/<int:manager_id>")
    @app.get("/floor/team/<int:manager_id>.csv", defaults={"csv_": True})
    def team(manager_id: int, csv_: bool = False):
        with engine.connect() as conn:
            rows = [["Name", "Email", *CERTIFICATIONS]] + team_rows(conn, manager_id)
        if csv_:
            out = io.StringIO()
            csv.writer(out, lineterminator="\r\n").writerows(rows)
            return Response(out.getvalue(), mimetype="text/csv")
        table = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>" for row in rows)
        return Response(f"<!doctype html><title>Team</title><table>{table}</table>", mimetype="text/html")

    @app.get("/floor/export.csv")
    def export():
        with engine.connect() as conn:
            return Response(export_csv(conn, courses_dir), mimetype="text/csv")

    return app


def __getattr__(name):  # `gunicorn bench.floors:app` builds the app on first access
    if name == "app":
        globals()["app"] = value = create_app()
        return value
    raise AttributeError(name)

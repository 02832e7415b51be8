"""The floors: tiny Flask apps that do the least work each workload could possibly do.

Served by gunicorn exactly like the app (2 sync workers on loopback), against
the same database, so every PostReady figure is a ratio to one of these:

  GET  /floor/json                      (a) a bare JSON endpoint
  GET  /floor/people/<email>            (b) one indexed lookup among the N users, by email
  POST /floor/insert                    (c) insert one row and commit (into bench_floor_writes,
                                            a scratch table this module creates)
  GET  /floor/team/<manager_id>         (d) a 100 x 6 team report: one SQL query and a plain loop,
  GET  /floor/team/<manager_id>.csv         as HTML and as CSV

On SQLite the connection is set up as the app sets up its own (WAL, foreign
keys, busy timeout, synchronous=FULL, BEGIN IMMEDIATE for the write), so the
insert floor pays for the same durability as the app's writes.

Run: DATABASE_URL=... gunicorn -w 2 bench.floors:app
"""
import csv
import io
import os
import sqlite3
import sys
from datetime import datetime, timezone
from html import escape

from flask import Flask, Response, jsonify, request
from sqlalchemy import create_engine, event, text

CERTIFICATIONS = ("core", "facebook", "instagram", "linkedin", "youtube", "tiktok")

TEAM_QUERY = text("""
    SELECT u.id, u.full_name, u.email, c.certification_slug, MAX(c.expires_at) AS expires_at
    FROM users u
    LEFT JOIN certificates c ON c.user_id = u.id
        AND NOT EXISTS (SELECT 1 FROM certificate_revocations r WHERE r.certificate_id = c.id)
    WHERE u.manager_id = :manager_id AND u.active
    GROUP BY u.id, u.full_name, u.email, c.certification_slug
    ORDER BY u.full_name, u.id
""")


def _as_datetime(value):
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(str(value)).replace(tzinfo=timezone.utc)


def make_engine(url: str):
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record):
            if isinstance(dbapi_connection, sqlite3.Connection):
                dbapi_connection.isolation_level = None
                cursor = dbapi_connection.cursor()
                for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=30000", "synchronous=FULL"):
                    cursor.execute(f"PRAGMA {pragma}")
                cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            if "app.database" in sys.modules:
                return  # inside the benchmark process, the app's own listener (on every Engine) begins
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("bench_write") else "BEGIN")
    return engine


def team_rows(conn, manager_id: int, now: datetime) -> list[list[str]]:
    """One query, then a plain loop: a row per person, a cell per certification."""
    people: dict[int, list] = {}
    for uid, name, email, slug, expires in conn.execute(TEAM_QUERY, {"manager_id": manager_id}):
        row = people.setdefault(uid, [name, email] + ["Not started"] * len(CERTIFICATIONS))
        if slug in CERTIFICATIONS:
            expires = _as_datetime(expires)
            label = f"Certified until {expires:%b %-d, %Y}" if expires > now else f"Expired {expires:%b %-d, %Y}"
            row[2 + CERTIFICATIONS.index(slug)] = label
    return list(people.values())


def create_app(url: str | None = None) -> Flask:
    url = url or os.environ["DATABASE_URL"]
    engine = make_engine(url)
    with engine.connect().execution_options(bench_write=True) as conn:
        with conn.begin():
            if engine.dialect.name == "postgresql":
                # Two workers booting at once would race on CREATE TABLE IF NOT EXISTS (a catalog
                # unique violation); the lock makes the second wait and then find the table.
                conn.execute(text("SELECT pg_advisory_xact_lock(20261125)"))
            conn.execute(text("CREATE TABLE IF NOT EXISTS bench_floor_writes "
                              "(id INTEGER PRIMARY KEY, note VARCHAR(100) NOT NULL, created_at VARCHAR(40) NOT NULL)"
                              if engine.dialect.name == "sqlite" else
                              "CREATE TABLE IF NOT EXISTS bench_floor_writes "
                              "(id SERIAL PRIMARY KEY, note VARCHAR(100) NOT NULL, created_at TIMESTAMPTZ NOT NULL)"))
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
        if row is None:
            return jsonify(error="No such person."), 404
        return jsonify(id=row.id, email=row.email, name=row.full_name, active=bool(row.active))

    @app.post("/floor/insert")
    def insert_one():
        note = request.form.get("note", "")[:100]
        now = datetime.now(timezone.utc)
        with engine.connect().execution_options(bench_write=True) as conn:
            with conn.begin():
                new_id = conn.execute(text("INSERT INTO bench_floor_writes (note, created_at) VALUES (:n, :t) "
                                           "RETURNING id"),
                                      {"n": note, "t": now if engine.dialect.name != "sqlite" else now.isoformat()}
                                      ).scalar_one()
        return jsonify(id=new_id), 201

    @app.get("/floor/team/<int:manager_id>")
    def team_html(manager_id: int):
        now = datetime.now(timezone.utc)
        with engine.connect() as conn:
            rows = team_rows(conn, manager_id, now)
        parts = ["<!doctype html><title>Team</title><table><tr><th>Name</th><th>Email</th>"]
        parts += [f"<th>{c}</th>" for c in CERTIFICATIONS]
        parts.append("</tr>")
        for row in rows:
            parts.append("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>")
        parts.append("</table>")
        return Response("".join(parts), mimetype="text/html")

    @app.get("/floor/team/<int:manager_id>.csv")
    def team_csv(manager_id: int):
        now = datetime.now(timezone.utc)
        with engine.connect() as conn:
            rows = team_rows(conn, manager_id, now)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["Name", "Email", *CERTIFICATIONS])
        writer.writerows(rows)
        return Response(out.getvalue(), mimetype="text/csv")

    return app


def __getattr__(name):  # `gunicorn bench.floors:app` builds the app on first access
    if name == "app":
        value = create_app()
        globals()["app"] = value
        return value
    raise AttributeError(name)

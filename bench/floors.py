"""The floors: a tiny Flask app doing the least work each workload could do, served by gunicorn
exactly like PostReady, against the same database. Every PostReady figure is a ratio to one of:

  GET  /floor/json                  a bare JSON answer
  GET  /floor/people/<email>        one indexed lookup among the N users
  POST /floor/insert                insert one row and commit (bench_floor_writes, made here)
  GET  /floor/team/<manager>[.csv]  a team's report: one query, a plain loop, HTML or CSV
  GET  /floor/export.csv            the organisation report as one aggregation query (bench/export_floor.py)

On SQLite connections are set up as the app sets up its own (WAL, foreign keys, busy timeout,
synchronous=FULL, BEGIN IMMEDIATE to write), so the insert pays for the same durability.
Run: DATABASE_URL=... gunicorn -w 2 bench.floors:app
"""
import csv
import io
import os
import sqlite3
from datetime import datetime, timezone
from html import escape

from flask import Flask, Response, jsonify, request
from sqlalchemy import create_engine, event, text

from bench.export_floor import export_csv

CERTIFICATIONS = ("core", "facebook", "instagram", "linkedin", "youtube", "tiktok")
TEAM = text("""
    SELECT u.id, u.full_name, u.email, c.certification_slug, MAX(c.expires_at)
    FROM users u LEFT JOIN certificates c ON c.user_id = u.id
        AND NOT EXISTS (SELECT 1 FROM certificate_revocations r WHERE r.certificate_id = c.id)
    WHERE u.manager_id = :manager AND u.active
    GROUP BY u.id, u.full_name, u.email, c.certification_slug ORDER BY u.full_name, u.id
""")


def make_engine(url: str):
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection, _record):
            if isinstance(dbapi_connection, sqlite3.Connection):
                dbapi_connection.isolation_level = None
                for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=30000", "synchronous=FULL"):
                    dbapi_connection.execute(f"PRAGMA {pragma}")

        @event.listens_for(engine, "begin")
        def _begin(conn):
            if conn.connection.driver_connection.in_transaction:
                return  # begun already, by the app's own listener (the floors imported beside the app: tests)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("bench_write") else "BEGIN")
    return engine


def team_rows(conn, manager_id: int) -> list[list[str]]:
    """One query, then a plain loop: a row per person, a cell per certification."""
    now, people = datetime.now(timezone.utc), {}
    for uid, name, email, slug, expires in conn.execute(TEAM, {"manager": manager_id}):
        row = people.setdefault(uid, [name, email] + ["Not started"] * len(CERTIFICATIONS))
        if slug in CERTIFICATIONS:
            if not isinstance(expires, datetime):
                expires = datetime.fromisoformat(str(expires))
            expires = expires if expires.tzinfo else expires.replace(tzinfo=timezone.utc)
            row[2 + CERTIFICATIONS.index(slug)] = (f"Certified until {expires:%b %-d, %Y}" if expires > now
                                                   else f"Expired {expires:%b %-d, %Y}")
    return list(people.values())


def create_app(url: str | None = None) -> Flask:
    engine = make_engine(url or os.environ["DATABASE_URL"])
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect().execution_options(bench_write=True) as conn, conn.begin():
        if not sqlite:  # two workers booting at once would race on CREATE TABLE IF NOT EXISTS
            conn.execute(text("SELECT pg_advisory_xact_lock(20261125)"))
        conn.execute(text("CREATE TABLE IF NOT EXISTS bench_floor_writes (id INTEGER PRIMARY KEY, "
                          "note VARCHAR(100) NOT NULL, created_at VARCHAR(40) NOT NULL)" if sqlite else
                          "CREATE TABLE IF NOT EXISTS bench_floor_writes (id SERIAL PRIMARY KEY, "
                          "note VARCHAR(100) NOT NULL, created_at TIMESTAMPTZ NOT NULL)"))
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
        now = datetime.now(timezone.utc)
        with engine.connect().execution_options(bench_write=True) as conn, conn.begin():
            new_id = conn.execute(text("INSERT INTO bench_floor_writes (note, created_at) VALUES (:n, :t) RETURNING id"),
                                  {"n": request.form.get("note", "")[:100], "t": now.isoformat() if sqlite else now}
                                  ).scalar_one()
        return jsonify(id=new_id), 201

    @app.get("/floor/team/<int:manager_id>")
    def team_html(manager_id: int):
        with engine.connect() as conn:
            rows = team_rows(conn, manager_id)
        head = "".join(f"<th>{c}</th>" for c in ("Name", "Email", *CERTIFICATIONS))
        body = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>" for row in rows)
        return Response(f"<!doctype html><title>Team</title><table><tr>{head}</tr>{body}</table>", mimetype="text/html")

    @app.get("/floor/team/<int:manager_id>.csv")
    def team_csv(manager_id: int):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["Name", "Email", *CERTIFICATIONS])
        with engine.connect() as conn:
            writer.writerows(team_rows(conn, manager_id))
        return Response(out.getvalue(), mimetype="text/csv")

    @app.get("/floor/export.csv")
    def export():
        with engine.connect() as conn:
            return Response(export_csv(conn), mimetype="text/csv")

    return app


def __getattr__(name):  # `gunicorn bench.floors:app` builds the app on first access
    if name == "app":
        globals()["app"] = value = create_app()
        return value
    raise AttributeError(name)

"""SQLite done right: WAL, foreign keys, a busy timeout, and BEGIN IMMEDIATE for writes.

WAL lets readers run beside the one writer. A deferred transaction that reads and later writes
fails at once with "database is locked" when another connection committed in between, so a
request that may write takes the write lock when its transaction begins (BEGIN IMMEDIATE) and
concurrent writers queue on the busy timeout instead. GET, HEAD and OPTIONS requests begin
deferred, so readers stay parallel, unless their view is marked `writes_db` (it records what
it served). Outside requests (CLI commands, workers) every transaction may write.

The connect and begin hooks are SQLAlchemy's documented recipe for the pysqlite driver.
PostgreSQL needs none of this: it locks rows, not the whole database.
"""
import sqlite3
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_MS = 30_000

write_intent: ContextVar[bool] = ContextVar("postready_write_intent", default=True)


def writes_db(view):
    """Mark a GET view that writes (records a lesson view, audits a download or an export)."""
    view.writes_db = True
    return view


def request_may_write(method: str, view) -> bool:
    return method not in ("GET", "HEAD", "OPTIONS") or getattr(view, "writes_db", False)


@event.listens_for(Engine, "connect")
def configure_connection(dbapi_connection, _record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None  # the "begin" hook below issues BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged commit survives power loss
    cursor.close()


@event.listens_for(Engine, "begin")
def begin_transaction(conn):
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")

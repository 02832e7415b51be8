"""Database plumbing: SQLite done right, timezone-aware timestamps, write intent.

SQLite: WAL so readers never block the writer, foreign keys on, a busy
timeout, and write transactions opened with BEGIN IMMEDIATE. A deferred
transaction that reads and later writes can fail at once with
"database is locked" when another connection committed in between;
taking the write lock up front makes concurrent writers queue instead.
Read-only requests (GET/HEAD) begin deferred so readers stay parallel.
"""
import sqlite3
import time
from contextvars import ContextVar
from datetime import datetime, timezone

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import TypeDecorator

_write_intent: ContextVar[bool] = ContextVar("postready_write_intent", default=True)


def set_write_intent(value: bool) -> None:
    _write_intent.set(value)


def writes_db(view):
    """Mark a GET view that writes (e.g. records a lesson view)."""
    view.writes_db = True
    return view


def reads_first(view):
    """Mark a POST view that reads and checks before it writes (a quiz submission is graded
    first): its transaction begins deferred, without SQLite's write lock, until start_writing."""
    view.reads_first = True
    return view


def start_writing(session) -> None:
    """Take the write lock for what follows, keeping the objects read so far (a reads_first view).

    On SQLite the read transaction ends here and the next one begins with BEGIN IMMEDIATE, so
    the reading and checking of two workers overlap, and only the writes queue. Anything the
    writes depend on that could have changed meanwhile must be decided again by the writes
    themselves (a unique constraint) or read again after this call. Nothing may be written
    before it. Other databases keep the one transaction: they lock rows, not the whole file.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    # Swap the transaction at the driver, under SQLAlchemy's feet: the read snapshot ends and the
    # write lock is taken on the same connection, while the session's transaction (and every
    # object it loaded) carries on. Committing through the session instead ran its events and
    # bookkeeping only to end a snapshot (3 % of a quiz submission's CPU under load, py-spy). Audit
    # events recorded so far stay queued for the real commit.
    driver = session.connection().connection.driver_connection  # (a deferred BEGIN if nothing was read)
    set_write_intent(True)
    driver.execute("COMMIT")  # ends the read transaction: nothing was written before this call
    begin_immediate(driver)


def _commit_keeping_objects(session) -> None:
    """Commit without expiring what was loaded: the objects stay as they were read, and touching
    one (even its id, to record who acted) costs no reload."""
    inner = session()  # the request's Session behind the scoped_session proxy
    expires, inner.expire_on_commit = inner.expire_on_commit, False
    try:
        inner.commit()
    finally:
        inner.expire_on_commit = expires


def read_only_from_here(session) -> None:
    """Commit what the request has written so far; what follows only reads (SQLite: a deferred
    BEGIN, no write lock), until write_after_reading."""
    session.commit()
    set_write_intent(False)


def write_after_reading(session) -> None:
    """For a GET that reads a lot and then records what it served (an export, a download): end the
    read transaction here, so only the short write that follows takes SQLite's write lock, and
    readers in other workers are never queued behind a report being computed.

    Objects loaded so far are kept as they were read (what was served), not reloaded.
    """
    _commit_keeping_objects(session)
    set_write_intent(True)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, _record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" hook below issue BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged commit survives power loss
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite(conn):
    if conn.dialect.name == "sqlite":
        # Straight to the driver: this runs at the start of every request's transaction.
        driver = conn.connection.driver_connection
        if _write_intent.get():
            begin_immediate(driver)
        else:
            driver.execute("BEGIN")


BUSY_TIMEOUT_S = 30.0
FIRST_RETRY_S, LONGEST_RETRY_S = 0.0002, 0.002


def begin_immediate(driver: sqlite3.Connection, timeout: float = BUSY_TIMEOUT_S) -> None:
    """BEGIN IMMEDIATE, waiting for the write lock in steps of at most 2 ms.

    SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25 ... 100 ms between tries and is not
    woken when the lock is freed: with two gunicorn workers writing, a quiz submission spent
    most of its time asleep after the lock was already free (py-spy, docs/benchmarks.md §11).
    So the first try does not wait, and later tries come soon. Other statements keep the
    connection's 30 s busy timeout.
    """
    driver.execute("PRAGMA busy_timeout=0")
    try:
        deadline, pause = time.monotonic() + timeout, FIRST_RETRY_S
        while True:
            try:
                driver.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 1.5, LONGEST_RETRY_S)
    finally:
        driver.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    return exc.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)  # primary result code


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp that is always timezone-aware UTC in Python.

    PostgreSQL stores timestamptz; SQLite stores naive UTC text. Naive
    datetimes are refused so local times can never sneak in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(self, dialect, coltype):
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        # SQLite hands back the text SQLAlchemy wrote ("2026-11-30 21:00:00.000000", UTC): parse it
        # in one step; reports read hundreds of thousands of these.
        def process(value):
            if value is None:
                return None
            if isinstance(value, str):
                try:
                    return datetime.fromisoformat(value + "+00:00")  # the stored form; 8x faster than .replace
                except ValueError:
                    parsed = datetime.fromisoformat(value)
                    return (parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None
                            else parsed.astimezone(timezone.utc))
            return self.process_result_value(value, dialect)

        return process

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def column_rows(session, statement, params: dict | None = None):
    """Run a column query on the session's connection: plain rows without the ORM's per-row
    bookkeeping (the hot paths: rights checks, reports). `.all()` on the result fetches in bulk."""
    return session.connection().execute(statement, params or {})


def add_once(session, row) -> bool:
    """Insert a row that a unique constraint allows only once, in a savepoint: False (and nothing
    else undone) when it already exists, e.g. a concurrent request inserted its twin first.
    Callers turn False into their domain error."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def insert_ignoring_conflicts(session, model, rows: list[dict], conflict_columns: list[str]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL; returns how many rows were new."""
    if not rows:
        return 0
    if len(rows) == 1:
        return len(_plain_ignoring_conflicts(session, model, rows[0], conflict_columns))
    session.flush()  # as session.execute would: rows the ORM holds first (a new row's parent)
    statement = _ignoring_conflicts(session.get_bind().dialect.name, model, conflict_columns)
    return len(session.connection().execute(statement, rows).all())


def insert_once(session, model, row: dict, conflict_columns: list[str]) -> int | None:
    """Insert one row that a unique constraint allows only once: its new primary key, or None
    (and nothing written) when its twin already exists, e.g. a concurrent request inserted it
    first. No savepoint, no unit of work: this runs under the write lock on the hot paths."""
    new = _plain_ignoring_conflicts(session, model, row, conflict_columns)
    return new[0][0] if new else None


_IGNORING_CONFLICTS: dict = {}


def _ignoring_conflicts(dialect: str, model, conflict_columns: list[str]):
    key = (model.__table__.name, tuple(conflict_columns), dialect)
    statement = _IGNORING_CONFLICTS.get(key)
    if statement is None:  # built once per table: building it cost more than running it
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        table = model.__table__  # the table, not the mapped class: a plain statement
        statement = _IGNORING_CONFLICTS[key] = (
            insert(table).on_conflict_do_nothing(index_elements=conflict_columns)
            .returning(table.primary_key.columns.values()[0]))
    return statement


def _plain_ignoring_conflicts(session, model, row: dict, conflict_columns: list[str]) -> list[tuple]:
    """One row through a PlainStatement, built once per table and set of columns given."""
    dialect = session.get_bind().dialect.name
    key = (model.__table__.name, tuple(conflict_columns), dialect, tuple(row))
    plain = _IGNORING_CONFLICTS.get(key)
    if plain is None:
        plain = _IGNORING_CONFLICTS[key] = PlainStatement(_ignoring_conflicts(dialect, model, conflict_columns),
                                                          tuple(row))
    session.flush()  # as session.execute would: rows the ORM holds first (a new row's parent)
    return plain.rows(session, row)


class OneRowRead:
    """A one-statement read for the hottest paths, run straight on a pooled driver connection.

    SQLAlchemy's Connection, transaction and result objects cost about 0.15 ms around a query
    that SQLite answers in 0.01 ms (docs/benchmarks.md §16); a single SELECT needs none of them,
    since one statement reads one consistent snapshot on its own. A PlainStatement (below)
    compiles it, binds its parameters and processes its columns; it runs outside any session.
    """

    def __init__(self, statement):
        self.plain = PlainStatement(statement)

    def first(self, engine, params: dict) -> tuple | None:
        string, arguments = self.plain.prepare(engine.dialect, params)
        connection = engine.raw_connection()
        driver = connection.driver_connection
        # PostgreSQL: autocommit for the one statement, as SQLAlchemy's own pre-ping does, so there
        # is no BEGIN and no ROLLBACK, each a round trip to the server. (SQLite's connections
        # already leave BEGIN to the engine's hook, which this path does not run.)
        flip = engine.dialect.name == "postgresql" and not driver.autocommit
        try:
            if flip:
                driver.autocommit = True
            cursor = connection.cursor()
            cursor.execute(string, arguments)
            row = cursor.fetchone()
            cursor.close()
        finally:
            if flip and not driver.closed:
                driver.autocommit = False
            connection.close()  # back to the pool (whose rollback on return finds nothing to end)
        return None if row is None else self.plain.processed(engine.dialect, [row])[0]


class PlainStatement:
    """A prebuilt statement run straight on the session's driver connection, inside the
    session's transaction: for the statements every quiz submission runs (its reads while
    grading, its writes under the write lock).

    Through a SQLAlchemy Connection each such statement cost 50-100 µs of execution context,
    events and result objects around 5-40 µs of SQLite's own work (docs/benchmarks.md §17), and
    under the lock that time is every other worker's wait. Compiled once per dialect for the
    given parameter names; every parameter still goes through its type's bind processing (UTC
    times, JSON), and returned columns through their result processing. Statements that need
    SQLAlchemy to compute a Python-side default are refused when first compiled.
    """

    def __init__(self, statement, keys: tuple[str, ...] = ()):
        self.statement, self.keys = statement, list(keys)
        self._compiled: dict[str, tuple] = {}

    def _for(self, dialect):
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=self.keys or None)
            if getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None):
                raise ValueError("PlainStatement: give every column with a Python-side default a value")
            columns = getattr(self.statement, "selected_columns", None) or [
                c for c in (getattr(self.statement, "_returning", None) or ())]
            results = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
            # The compiled statement's own bind processors (as SQLAlchemy's execution context uses them).
            binds = {name: process for name, process in compiled._bind_processors.items() if process is not None}
            order = compiled.positiontup if compiled.positional else None
            found = self._compiled[dialect.name] = (compiled, compiled.string, order, binds, results)
        return found

    @staticmethod
    def _arguments(compiled, order, binds, params: dict):
        values = compiled.construct_params(params)
        for name, process in binds.items():
            values[name] = process(values[name])
        return tuple(values[name] for name in order) if order is not None else values

    def prepare(self, dialect, params: dict | None = None) -> tuple[str, object]:
        """The SQL for this dialect and the driver's arguments for `params`, bind-processed."""
        compiled, string, order, binds, _ = self._for(dialect)
        return string, self._arguments(compiled, order, binds, params or {})

    def processed(self, dialect, rows) -> list[tuple]:
        """Driver rows with each column through its type's result processing."""
        processors = self._for(dialect)[4]  # looked up once, not once per row
        return [tuple(v if p is None else p(v) for v, p in zip(row, processors)) for row in rows]

    def rows(self, session, params: dict | None = None) -> list[tuple]:
        """Run once; the rows it returns (RETURNING or SELECT), each column processed."""
        connection = session.connection()
        string, arguments = self.prepare(connection.dialect, params)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(string, arguments)
            fetched = cursor.fetchall() if cursor.description else []
        finally:
            cursor.close()
        return self.processed(connection.dialect, fetched)

    def run_many(self, session, rows: list[dict]) -> None:
        """Run once per parameter set, in one driver call (no rows returned)."""
        if not rows:
            return
        connection = session.connection()
        compiled, string, order, binds, _ = self._for(connection.dialect)
        cursor = connection.connection.cursor()
        try:
            cursor.executemany(string, [self._arguments(compiled, order, binds, row) for row in rows])
        finally:
            cursor.close()

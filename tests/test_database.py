"""SQLite done right, and timestamps that are always timezone-aware."""
import threading
from datetime import datetime

import pytest
from sqlalchemy import func, select, text

from app.accounts.models import Department
from app.database import utcnow
from app.extensions import db
from tests.conftest import ON_POSTGRES

sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="SQLite connection settings")


@sqlite_only
def test_sqlite_pragmas(app):
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


@sqlite_only
def test_foreign_keys_are_enforced(app):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        db.session.execute(text("INSERT INTO users (email, full_name, role, active, must_change_password, "
                                "session_token, created_at, manager_id) VALUES ('a@b.c', 'A', 'employee', 1, 0, "
                                "'t', '2026-01-01', 9999)"))
        db.session.flush()
    db.session.rollback()


@sqlite_only
def test_a_writer_takes_the_lock_as_soon_as_it_is_freed_and_gives_up_after_the_timeout(tmp_path):
    import sqlite3

    from app.database import BUSY_TIMEOUT_S, begin_immediate

    path = tmp_path / "lock.sqlite3"
    holder, waiter = (sqlite3.connect(path, isolation_level=None, check_same_thread=False) for _ in range(2))
    for conn in (holder, waiter):
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        begin_immediate(waiter, timeout=0.05)
    assert waiter.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_S * 1000  # restored
    assert not waiter.in_transaction

    threading.Timer(0.2, lambda: holder.execute("COMMIT")).start()
    begin_immediate(waiter, timeout=10)  # waits for the holder, then takes the lock
    assert waiter.in_transaction and not holder.in_transaction
    waiter.execute("COMMIT")
    assert waiter.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_S * 1000


def test_concurrent_writers_do_not_fail(app):
    """20 threads each insert and commit rows at once: no "database is locked", nothing lost."""
    errors = []

    def writer(n):
        with app.app_context():
            try:
                for i in range(5):
                    db.session.add(Department(name=f"dept-{n}-{i}"))
                    db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert db.session.scalar(select(func.count()).select_from(Department)) == 100


def test_timestamps_come_back_aware_in_utc(app, people):
    assert people.admin.created_at.tzinfo is not None
    db.session.expire_all()
    assert db.session.get(type(people.admin), people.admin.id).created_at.utcoffset().total_seconds() == 0


def test_naive_timestamps_are_refused(app, people):
    from sqlalchemy.exc import StatementError

    people.admin.deactivated_at = datetime(2026, 1, 1)
    with pytest.raises(StatementError, match="naive datetime"):
        db.session.flush()
    db.session.rollback()
    assert utcnow().tzinfo is not None


def test_one_row_read_gives_what_the_orm_would_and_leaves_the_pool_clean(app, people):
    from sqlalchemy import bindparam

    from app.accounts.models import User
    from app.database import OneRowRead

    read = OneRowRead(select(User.id, User.email, User.created_at, User.active)
                      .where(User.email == bindparam("email"), User.active == bindparam("active")))
    expected = (people.employee.id, people.employee.email, people.employee.created_at, True)
    db.session.commit()
    borrowed = db.engine.pool.checkedout()
    row = read.first(db.engine, {"email": expected[1], "active": True})
    assert row == expected
    assert row[2].utcoffset().total_seconds() == 0  # the column type's result processing ran: aware UTC
    assert read.first(db.engine, {"email": "nobody@example.org", "active": True}) is None
    assert read.first(db.engine, {"email": expected[1], "active": False}) is None
    # Every connection it borrowed is back in the pool, with no transaction left open.
    assert db.engine.pool.checkedout() == borrowed
    if ON_POSTGRES:  # it reads in autocommit, and gives the connection back as it found it
        pooled = db.engine.raw_connection()
        try:
            assert pooled.driver_connection.autocommit is False
        finally:
            pooled.close()
    people.employee.full_name = "Eli Renamed"
    db.session.commit()  # a write right after: nothing of the read holds a lock


def test_a_plain_statement_stores_and_reads_what_the_orm_would(app, people):
    """Bind processing (aware UTC time, boolean) on the way in, result processing on the way out;
    a statement that needs a Python-side default it was not given is refused."""
    from sqlalchemy import bindparam, insert

    from app.accounts.models import User
    from app.audit.models import AuditEvent
    from app.database import PlainStatement

    at = datetime(2026, 3, 1, 12, 30, tzinfo=utcnow().tzinfo)
    append = PlainStatement(insert(AuditEvent.__table__), ("occurred_at", "actor_id", "actor_label", "action",
                                                           "subject_type", "subject_id", "details", "prev_hash", "hash"))
    append.run_many(db.session, [dict(occurred_at=at, actor_id=None, actor_label="test", action="test.plain",
                                      subject_type="", subject_id="", details="{}", prev_hash="p", hash="h")])
    stored = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "test.plain")).one()
    assert stored.occurred_at == at
    read = PlainStatement(select(User.created_at, User.active).where(User.id == bindparam("user_id")))
    ((created, active),) = read.rows(db.session, {"user_id": people.employee.id})
    assert (created, active) == (people.employee.created_at, True) and created.tzinfo is not None
    with pytest.raises(ValueError):
        PlainStatement(insert(User.__table__), ("email",)).rows(db.session, {"email": "x@test-health.example"})
    db.session.rollback()

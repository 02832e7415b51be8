"""SQLite done right, and timestamps that are always timezone-aware."""
import threading
from datetime import datetime

import pytest
from sqlalchemy import func, select, text

from app.accounts.models import Department
from app.extensions import db
from app.timestamps import utcnow
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



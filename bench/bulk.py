"""Bulk inserts for the benchmark's seed: rows buffered per table, converted once, flushed in
foreign-key order (SQLite: the driver's executemany; PostgreSQL: COPY)."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

FLUSH_ROWS = 60_000

# Column order of the rows each table's buffer holds (tuples, values already in the driver's form).
COLUMNS = {
    "departments": ("id", "name"),
    "users": ("id", "email", "full_name", "role", "manager_id", "department_id", "hire_date", "active",
              "password_hash", "must_change_password", "session_token", "created_at", "deactivated_at"),
    "person_placements": ("id", "user_id", "effective_at", "department_id", "manager_id", "active"),
    "attempts": ("id", "user_id", "module_id", "started_at"),
    "attempt_questions": ("id", "attempt_id", "question_id", "position", "option_order"),
    "submissions": ("attempt_id", "submitted_at", "correct_count", "question_count", "score_percent", "pass_mark",
                    "passed"),
    "answers": ("id", "attempt_id", "attempt_question_id", "option_id"),
    "module_completions": ("id", "user_id", "module_id", "course_version_id", "attempt_id", "completed_at"),
    "lesson_views": ("id", "user_id", "lesson_id", "viewed_at"),
    "certificates": ("id", "code", "user_id", "certification_id", "certification_slug", "course_version_id", "cycle",
                     "holder_name", "modules", "issued_at", "expires_at", "payload", "signature", "key_id"),
    "certificate_revocations": ("id", "certificate_id", "revoked_at", "revoked_by_id", "reason"),
    "certificate_pdfs": ("certificate_id", "template_version", "sha256", "content"),
    "rights_suspensions": ("id", "user_id", "right_slug", "reason", "suspended_by_id", "suspended_at"),
    "rights_suspension_lifts": ("id", "suspension_id", "lifted_by_id", "lifted_at", "reason"),
    "assignments": ("id", "user_id", "certification_slug", "reason", "assigned_at", "due_at", "module_slugs",
                    "assigned_by_id", "note", "dedupe_key"),
}


class Converter:
    """Python values in the form the app's column types store them (UTCDateTime, JSON, Boolean, Date).

    SQLite: UTC timestamps as naive text with microseconds, exactly as SQLAlchemy's
    DateTime writes them (so text comparisons in queries stay right); PostgreSQL:
    aware datetimes. JSON as text on both.
    """

    def __init__(self, dialect: str):
        self.sqlite = dialect == "sqlite"

    def ts(self, value: datetime | None):
        if value is None or not self.sqlite:
            return value
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")

    def day(self, value: date | None):
        return value.isoformat() if (value is not None and self.sqlite) else value

    def js(self, value) -> str:
        return json.dumps(value, separators=(", ", ": "), ensure_ascii=False)

    def flag(self, value: bool):
        return int(value) if self.sqlite else value


class BulkSink:
    """Buffers rows per table; flushes them in foreign-key order, in one transaction per flush.

    SQLite: one INSERT run with the driver's executemany (no per-row bind
    processing: values are converted once, when the row is made). PostgreSQL: COPY ... FROM STDIN (executemany over the
    network is ~30k rows/s; COPY is ten times that).
    """

    def __init__(self, engine):
        self.engine = engine
        self.cv = Converter(engine.dialect.name)
        self.buffers: dict[str, list[tuple]] = {name: [] for name in COLUMNS}
        self.counts: dict[str, int] = {name: 0 for name in COLUMNS}

    def flush(self, force: bool = False) -> None:
        if not force and sum(map(len, self.buffers.values())) < FLUSH_ROWS:
            return
        with self.engine.begin() as conn:
            for name, columns in COLUMNS.items():
                rows = self.buffers[name]
                if not rows:
                    continue
                if self.cv.sqlite:
                    sql = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
                    conn.exec_driver_sql(sql, rows)
                else:
                    raw = conn.connection.driver_connection
                    with raw.cursor().copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                self.counts[name] += len(rows)
                rows.clear()

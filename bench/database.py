"""The benchmark's own database: a fresh SQLite file, or a fresh database on a PostgreSQL server."""
from __future__ import annotations

import os
from pathlib import Path


class Database:
    """A fresh database for this run: a SQLite file in the work dir, or bench_<pid> on a PostgreSQL server."""

    def __init__(self, url: str | None, workdir: Path, keep: bool):
        self.keep, self.pg_name, self.admin_url = keep, None, None
        if not url:
            self.url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        elif url.startswith("postgresql"):
            import psycopg
            from sqlalchemy.engine import make_url

            parsed = make_url(url)
            self.pg_name = f"bench_{os.getpid()}"
            self.admin_url = parsed.set(drivername="postgresql", database=parsed.database or "postgres")
            with psycopg.connect(self.admin_url.render_as_string(hide_password=False), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}"')
                conn.execute(f'CREATE DATABASE "{self.pg_name}"')
            self.url = parsed.set(database=self.pg_name).render_as_string(hide_password=False)
        else:
            self.url = url
        self.kind = "postgresql" if self.url.startswith("postgresql") else "sqlite"

    def cleanup(self) -> None:
        if self.pg_name and not self.keep:
            import psycopg

            with psycopg.connect(self.admin_url.render_as_string(hide_password=False), autocommit=True) as conn:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                             (self.pg_name,))
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}"')

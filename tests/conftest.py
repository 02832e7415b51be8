"""Test set-up: a real database per test (SQLite by default, PostgreSQL when DATABASE_URL says so).

SQLite: the schema is migrated once into a template file, and each test gets a
fresh copy. PostgreSQL: the schema is migrated once, and every table is
truncated after each test.
"""
import os
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from flask import has_app_context
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import text

from app import create_app
from app.extensions import db, migrations
from tests.factories import Personas

FIXTURE_COURSES = Path(__file__).parent / "fixtures" / "courses"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = DATABASE_URL.startswith("postgresql")


def _config(url: str, tmp: Path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": url,
        "COURSES_DIR": str(FIXTURE_COURSES),
        "SESSION_COOKIE_SECURE": False,
        "SERVER_NAME": "localhost",
        "ORG_NAME": "Test Health",
    }


def _migrate(url: str, tmp: Path) -> None:
    from flask_migrate import downgrade, upgrade

    app = create_app(_config(url, tmp))
    migrations(app)
    with app.app_context():
        if ON_POSTGRES:
            downgrade(revision="base")  # start from nothing, whatever an earlier run left
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory) -> str:
    """A migrated database: a template file for SQLite, the live database for PostgreSQL."""
    tmp = tmp_path_factory.mktemp("db")
    if ON_POSTGRES:
        _migrate(DATABASE_URL, tmp)
        return DATABASE_URL
    template = tmp / "template.sqlite3"
    _migrate(f"sqlite:///{template}", tmp)
    return str(template)


@pytest.fixture
def database_url(database_template, tmp_path) -> str:
    if ON_POSTGRES:
        return database_template
    copy = tmp_path / "test.sqlite3"
    shutil.copyfile(database_template, copy)
    return f"sqlite:///{copy}"


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production.

    Flask reuses an already pushed app context for a request, which would share
    `g` (the signed-in user, the CSRF token) and the database session between
    the test body and every request. The test body's work is committed first, so
    the request sees it and no transaction is left holding SQLite's write lock.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            db.session.commit()
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)


def another_app(database_url: str, tmp_path: Path, **overrides):
    """A second app on the same database (like another gunicorn worker)."""
    app = create_app({**_config(database_url, tmp_path), **overrides})
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(_config(database_url, tmp_path))
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
        if ON_POSTGRES:
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A browser-like client (not preserving request contexts between requests)."""
    return app.test_client()


@pytest.fixture
def cli(app):
    """Run a `postready` command as a separate invocation would: the test's own transaction is ended first."""
    runner = app.test_cli_runner()

    def invoke(*args: str):
        db.session.commit()
        result = runner.invoke(args=list(args))
        db.session.commit()
        return result

    return invoke


@pytest.fixture
def course(app):
    """The small test course, synced."""
    from app.courses.content import read_courses
    from app.courses.services import current_version, sync_courses

    courses, problems = read_courses(FIXTURE_COURSES)
    assert problems == []
    # Loaded long ago, so a report "as of" any recent date finds it in use.
    from app.timestamps import utcnow

    sync_courses(courses, now=utcnow() - timedelta(days=500))
    db.session.commit()
    return current_version("test-course")


@pytest.fixture
def people(app) -> Personas:
    return Personas.create()


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token a real browser would find in the page's form."""
    html = client.get(path, follow_redirects=True).text
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.fixture
def login(client):
    """Sign a person in through the real login form."""

    def _login(user, password=None):
        from tests.factories import PASSWORD

        response = client.post(
            "/login",
            data={"email": user.email, "password": password or PASSWORD, "csrf_token": csrf_token(client)},
        )
        assert response.status_code == 302, response.text
        return response

    return _login


@pytest.fixture
def receiver(app):
    """A real webhook receiver on loopback (tests/webhook_receiver.py)."""
    from tests.webhook_receiver import Receiver

    app.config.update(WEBHOOK_ALLOW_PRIVATE=True, WEBHOOK_TIMEOUT=2)  # the receiver is on loopback, over http
    with Receiver() as found:
        yield found


@pytest.fixture
def secret(cli, receiver) -> str:
    """The receiver subscribed from the command line, as an admin would; the secret is the last line."""
    result = cli("webhooks", "add", receiver.url, "--description", "Test tool")
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]

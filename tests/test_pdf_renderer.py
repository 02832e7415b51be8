"""CERTIFICATE_PDFS=worker: the quiz request issues the certificate, a separate renderer makes its PDF."""
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import func, make_url, select

from app import ConfigurationError, create_app
from app.certificates import renderer
from app.certificates.models import Certificate, CertificatePdf
from app.extensions import db
from app.timestamps import utcnow
from tests.conftest import FIXTURE_COURSES, ON_POSTGRES
from tests.factories import pass_module

ROOT = Path(__file__).parent.parent
NOW = utcnow()


def earn_core_without_pdf(person) -> int:
    for slug in ("privacy", "replies"):
        pass_module(person, slug, NOW, render_pdfs=False)  # as a worker-mode quiz request leaves it
    return db.session.scalar(select(Certificate.id).where(Certificate.user_id == person.id))


def stored_pdfs() -> int:
    db.session.commit()
    count = db.session.scalar(select(func.count()).select_from(CertificatePdf))
    db.session.commit()  # hold no transaction (on SQLite, no write lock) while the renderer works
    return count


def test_worker_mode_quiz_request_issues_the_certificate_and_leaves_the_pdf(app, client, course, people, login):
    from app.quizzes.models import Attempt
    from tests.test_learner_path import answer_all, read_all_lessons, start_quiz, submit

    app.config["CERTIFICATE_PDFS"] = "worker"
    pass_module(people.employee, "privacy", NOW)
    login(people.employee)
    read_all_lessons(client, "replies")
    attempt_id = start_quiz(client, "replies")
    assert submit(client, attempt_id, answer_all(db.session.get(Attempt, attempt_id), right=10)).status_code == 302
    certificate_id = db.session.scalar(select(Certificate.id).where(Certificate.user_id == people.employee.id))
    assert certificate_id is not None and stored_pdfs() == 0
    # Verification does not wait for the PDF.
    code = db.session.get(Certificate, certificate_id).code
    assert client.get(f"/verify/{code}.json").json["status"] == "valid"


def test_render_pending_renders_each_missing_pdf_once(app, cli, course, people):
    first = earn_core_without_pdf(people.employee)
    second = earn_core_without_pdf(people.manager)
    result = cli("certificates", "render-pending", "--batch", "1")
    assert result.exit_code == 0, result.output
    assert "2 certificate PDF(s) rendered and stored." in result.output
    assert {p.certificate_id for p in db.session.scalars(select(CertificatePdf))} == {first, second}
    assert db.session.get(CertificatePdf, first).content.startswith(b"%PDF")
    again = cli("certificates", "render-pending")
    assert "0 certificate PDF(s)" in again.output and stored_pdfs() == 2


def test_the_watching_renderer_renders_new_certificates_and_stops_on_sigterm(app, database_url, course, people):
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "renderer-test-secret-key-1234567",
           "COURSES_DIR": str(FIXTURE_COURSES)}
    renderer = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "certificates", "render-pending", "--watch",
         "--interval", "0.1"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        earn_core_without_pdf(people.employee)  # issued while the renderer is already watching
        db.session.commit()
        deadline = time.time() + 60
        while stored_pdfs() == 0 and time.time() < deadline and renderer.poll() is None:
            time.sleep(0.2)
        assert stored_pdfs() == 1
        # It watches at a lower CPU priority than the web workers (--nice, default 10) and, on
        # Linux, only on CPU they leave idle (--idle, default on).
        assert os.getpriority(os.PRIO_PROCESS, renderer.pid) == os.getpriority(os.PRIO_PROCESS, 0) + 10
        if hasattr(os, "SCHED_IDLE"):
            assert os.sched_getscheduler(renderer.pid) == os.SCHED_IDLE
    finally:
        renderer.send_signal(signal.SIGTERM)
        out, err = renderer.communicate(timeout=30)
    assert renderer.returncode == 0, err
    assert "1 certificate PDF(s) rendered and stored." in out


def test_an_unknown_pdf_mode_is_refused_at_start(database_url):
    with pytest.raises(ConfigurationError, match="CERTIFICATE_PDFS"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "CERTIFICATE_PDFS": "sometimes"})


def test_a_certificate_that_cannot_render_is_reported_and_does_not_stop_the_others(app, cli, course, people):
    good = earn_core_without_pdf(people.employee)
    # A damaged record (test set-up: a copy of a real certificate whose module dates are unreadable).
    row = {c.name: getattr(db.session.get(Certificate, good), c.key) for c in Certificate.__table__.columns}
    row.update(id=None, code="DAMAGED-RECORD-0001", user_id=people.manager.id,
               modules=[{**m, "completed_at": "not a date"} for m in row["modules"]])
    del row["id"]
    damaged = db.session.execute(Certificate.__table__.insert().values(row)).inserted_primary_key[0]
    later = earn_core_without_pdf(people.other_employee)
    result = cli("certificates", "render-pending", "--batch", "1")
    assert result.exit_code == 1
    assert f"2 certificate PDF(s) rendered and stored; 1 failed (ids {damaged})" in result.output
    assert {p.certificate_id for p in db.session.scalars(select(CertificatePdf))} == {good, later}


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's write-ahead log")
def test_the_renderer_holds_no_read_open_while_it_renders_or_waits(app, database_url, course, people, monkeypatch):
    """An open read pins SQLite's write-ahead log to its snapshot: the log cannot start over, and
    every commit in the web workers makes it longer (300 MB in a benchmark's quiz run)."""
    earn_core_without_pdf(people.employee)
    db.session.commit()

    def log_can_start_over() -> bool:
        with closing(sqlite3.connect(make_url(database_url).database, timeout=0, isolation_level=None)) as conn:
            started_over = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0  # waits for no one
            # A write, so the log is not empty when the renderer next reads: a read that starts on an
            # empty log reads the database file alone, and pins nothing.
            conn.execute(f"PRAGMA user_version = {conn.execute('PRAGMA user_version').fetchone()[0] + 1}")
            return started_over

    seen, polls = [], []
    real_render = renderer.render_document

    def render_and_look(*args):
        seen.append(("rendering", log_can_start_over()))
        return real_render(*args)

    def stopping():  # called before each poll: from the second on, the renderer is between polls
        polls.append(True)
        if len(polls) > 1:
            seen.append(("waiting", log_can_start_over()))
        return len(polls) > 2

    monkeypatch.setattr(renderer, "render_document", render_and_look)
    tally = renderer.run_renderer(batch=20, interval=0.01, watch=True, stopping=stopping)
    assert tally.stored == 1 and stored_pdfs() == 1
    assert seen == [("rendering", True), ("waiting", True), ("waiting", True)]

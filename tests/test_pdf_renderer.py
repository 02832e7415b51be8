"""CERTIFICATE_PDFS=worker: the quiz request issues the certificate, a separate renderer makes its PDF."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import ConfigurationError, create_app
from app.certificates.models import Certificate, CertificatePdf
from app.database import utcnow
from app.extensions import db
from tests.conftest import FIXTURE_COURSES
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
    from tests.test_learner_path import answer_all, read_all_lessons, start_quiz, submit
    from app.quizzes.models import Attempt

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

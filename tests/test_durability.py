"""Kill a gunicorn worker with SIGKILL in the middle of submissions: every acknowledged attempt survives."""
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from app.audit.services import verify_chain
from app.courses.services import current_module, record_lesson_view
from app.extensions import db
from app.quizzes.models import Submission
from app.quizzes.services import start_attempt
from app.timestamps import utcnow
from tests.conftest import FIXTURE_COURSES, ON_POSTGRES
from tests.factories import PASSWORD, make_user
from tests.tools import need_module, need_tool

ROOT = Path(__file__).parent.parent
PEOPLE = 40

pytestmark = pytest.mark.skipif(ON_POSTGRES,
                                reason="kills a worker writing to a SQLite file (PostgreSQL: same code path)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_sigkill_mid_submission_loses_nothing_acknowledged(app, course, database_url, tmp_path):
    need_module("gunicorn")
    need_tool("ps", "procps")
    module = current_module("test-course", "privacy")
    plan = []  # (email, attempt id, form answers)
    for i in range(PEOPLE):
        user = make_user(email=f"load{i}@test-health.example")
        for lesson in module.lessons:
            record_lesson_view(user, lesson)
        attempt = start_attempt(user, module, utcnow())
        answers = [(f"answer-{aq.question_id}", str(o.id)) for aq in attempt.questions
                   for o in aq.question.options if o.is_correct]
        plan.append((user.email, attempt.id, answers))
    db.session.commit()

    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "durability-test-secret-key-123",
           "COURSES_DIR": str(FIXTURE_COURSES), "SESSION_COOKIE_SECURE": "0", "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "--timeout", "60",
         "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                requests.get(f"{base}/login", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.2)
        sessions = {}
        for email, _, _ in plan:
            s = requests.Session()
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', s.get(f"{base}/login").text).group(1)
            assert s.post(f"{base}/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
                          allow_redirects=False).status_code == 302
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', s.get(f"{base}/").text).group(1)  # renewed
            sessions[email] = (s, token)

        acknowledged, lock = [], threading.Lock()

        def submit(email, attempt_id, answers):
            s, token = sessions[email]
            try:
                r = s.post(f"{base}/attempts/{attempt_id}", data=answers + [("csrf_token", token)],
                           allow_redirects=False, timeout=30)
            except requests.RequestException:
                return  # not acknowledged: the worker died under it
            if r.status_code == 302:
                with lock:
                    acknowledged.append(attempt_id)

        threads = [threading.Thread(target=submit, args=p) for p in plan]
        for i, t in enumerate(threads):
            t.start()
            if i == PEOPLE // 3:
                victims = worker_pids(server.pid)
                assert victims, "no gunicorn workers found"
                os.kill(victims[0], signal.SIGKILL)
        for t in threads:
            t.join()
        # The master starts a new worker; the site keeps answering.
        assert requests.get(f"{base}/login", timeout=10).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert len(acknowledged) >= PEOPLE // 2
    db.session.expire_all()
    stored = set(db.session.scalars(select(Submission.attempt_id)))
    assert set(acknowledged) <= stored, "an acknowledged attempt was lost"
    path = database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert verify_chain().ok

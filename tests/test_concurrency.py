"""Many people at once: nothing lost, nothing duplicated, no "database is locked"."""
import sqlite3
import threading
import time

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.audit.services import verify_chain
from app.certificates.models import Certificate
from app.courses.models import ModuleCompletion
from app.courses.services import current_module, record_lesson_view
from app.extensions import db
from app.quizzes.models import Answer, Attempt, Submission
from app.quizzes.services import start_attempt, submit_attempt
from app.timestamps import utcnow
from tests.conftest import ON_POSTGRES, another_app, csrf_token
from tests.factories import PASSWORD, make_user
from tests.test_learner_path import answer_all, read_all_lessons, start_quiz


def login_with(client, user) -> None:
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.text

PEOPLE = 25  # two threads each: 50 at once


def pass_in_thread(app, user_id: int, module_slug: str, barrier: threading.Barrier, errors: list):
    with app.app_context():
        try:
            user = db.session.get(User, user_id)
            module = current_module("test-course", module_slug)
            for lesson in module.lessons:
                record_lesson_view(user, lesson)
            db.session.commit()
            barrier.wait()
            attempt = start_attempt(user, module, utcnow())
            db.session.commit()
            answers = {aq.question_id: [o.id for o in aq.question.options if o.is_correct]
                       for aq in attempt.questions}
            submit_attempt(user, attempt, answers, utcnow())
            db.session.commit()
        except Exception as exc:  # noqa: BLE001 - every failure is reported by the test
            db.session.rollback()
            errors.append(f"{module_slug} for {user_id}: {exc!r}")
        finally:
            db.session.remove()


def test_fifty_threads_submit_and_certify(database_url, tmp_path, app, course):
    ids = [make_user().id for _ in range(PEOPLE)]
    db.session.commit()  # and hold no transaction (on SQLite it would hold the write lock)
    # Like a threaded server sized for 50 concurrent requests: one pooled connection each.
    app = another_app(database_url, tmp_path, DB_POOL_SIZE=PEOPLE * 2)
    barrier = threading.Barrier(PEOPLE * 2, timeout=60)
    errors: list[str] = []
    threads = [threading.Thread(target=pass_in_thread, args=(app, uid, slug, barrier, errors))
               for uid in ids for slug in ("privacy", "replies")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    db.session.expire_all()
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    assert count(Submission) == PEOPLE * 2
    assert count(ModuleCompletion) == PEOPLE * 2
    # Both modules finished at the same moment for each person: exactly one core certificate each.
    per_person = db.session.execute(
        select(Certificate.user_id, func.count()).where(Certificate.certification_slug == "core")
        .group_by(Certificate.user_id)).all()
    assert sorted(per_person) == sorted((uid, 1) for uid in ids)
    assert verify_chain().ok


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's write lock covers the whole file; PostgreSQL locks rows")
def test_a_submission_that_waits_for_the_lock_and_loses_the_race_stores_nothing(database_url, tmp_path, app,
                                                                                 course, people):
    """The quiz POST queues behind another writer; when that writer submitted the same attempt
    first, the POST fails cleanly with 409, storing nothing."""
    worker = another_app(database_url, tmp_path)
    client = worker.test_client()
    login_with(client, people.employee)
    read_all_lessons(client)
    attempt_id = start_quiz(client)
    data = {**answer_all(db.session.get(Attempt, attempt_id), right=4), "csrf_token": csrf_token(client, "/")}
    db.session.rollback()  # hold no transaction here
    other_writer = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    other_writer.execute("BEGIN IMMEDIATE")
    answered = []
    post = threading.Thread(target=lambda: answered.append(client.post(f"/attempts/{attempt_id}", data=data)))
    post.start()
    try:
        time.sleep(0.3)
        assert post.is_alive(), "the request wrote while another writer held the lock"
        other_writer.execute(  # the other writer: the same attempt, submitted first
            "INSERT INTO submissions (attempt_id, correct_count, question_count, score_percent, pass_mark,"
            " passed, submitted_at) VALUES (?, 0, 5, 0, 80, 0, '2026-12-01 00:00:00.000000')", (attempt_id,))
    finally:
        other_writer.execute("COMMIT")
        other_writer.close()
        post.join(timeout=60)
    assert answered[0].status_code == 409 and "already submitted" in answered[0].text
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 1
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0
    assert db.session.scalar(select(func.count()).select_from(ModuleCompletion)) == 0


def test_twenty_parallel_starts_open_one_attempt(database_url, tmp_path, app, course, people):
    """The person is locked before the open-attempt and daily-limit checks (as for submissions)."""
    module = current_module("test-course", "privacy")
    for lesson in module.lessons:
        record_lesson_view(people.employee, lesson)
    user_id, module_id = people.employee.id, module.id
    db.session.commit()
    worker = another_app(database_url, tmp_path, DB_POOL_SIZE=20)
    barrier, errors, started = threading.Barrier(20, timeout=60), [], []

    def start():
        with worker.app_context():
            try:
                barrier.wait()
                user, mine = db.session.get(User, user_id), current_module("test-course", "privacy")
                started.append(start_attempt(user, mine, utcnow()).id)
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - every failure is reported by the test
                db.session.rollback()
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=start) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    db.session.expire_all()
    opened = db.session.scalar(select(func.count()).select_from(Attempt)
                               .where(Attempt.user_id == user_id, Attempt.module_id == module_id))
    assert opened == 1 and len(set(started)) == 1

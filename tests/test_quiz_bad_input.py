"""Bad quiz submissions get a clear 4xx and change nothing."""
import threading

import pytest
from sqlalchemy import func, select

from app.courses.models import ModuleCompletion, QuestionOption
from app.courses.services import current_module, record_lesson_view
from app.extensions import db
from app.quizzes.models import Answer, Attempt, Submission
from app.quizzes.services import AlreadySubmitted, start_attempt, submit_attempt
from app.timestamps import utcnow
from tests.conftest import csrf_token
from tests.test_learner_path import answer_all, read_all_lessons, start_quiz, submit


@pytest.fixture
def attempt(client, course, people, login) -> Attempt:
    login(people.employee)
    read_all_lessons(client)
    return db.session.get(Attempt, start_quiz(client))


def stored() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(Submission)),
            db.session.scalar(select(func.count()).select_from(Answer)))


def test_option_from_another_question_is_rejected(client, attempt):
    data = answer_all(attempt, right=4)
    first, second = attempt.questions[0], attempt.questions[1]
    data[f"answer-{first.question_id}"] = [second.question.options[0].id]
    response = submit(client, attempt.id, data)
    assert response.status_code == 400
    assert "does not belong to its question" in response.text
    assert stored() == (0, 0)


def test_question_not_in_the_attempt_is_rejected(client, attempt):
    outside = db.session.scalar(select(QuestionOption).where(
        QuestionOption.question_id.not_in([aq.question_id for aq in attempt.questions])).limit(1))
    data = answer_all(attempt, right=4)
    data[f"answer-{outside.question_id}"] = [outside.id]
    response = submit(client, attempt.id, data)
    assert response.status_code == 400 and "not part of this attempt" in response.text
    assert stored() == (0, 0)


def test_non_numeric_answer_is_rejected(client, attempt):
    data = answer_all(attempt, right=4)
    data[f"answer-{attempt.questions[0].question_id}"] = ["1 OR 1=1"]
    assert submit(client, attempt.id, data).status_code == 400
    assert stored() == (0, 0)


def test_missing_answer_keeps_the_other_choices(client, attempt):
    data = answer_all(attempt, right=4)
    dropped = attempt.questions[0].question_id
    kept = data.pop(f"answer-{attempt.questions[1].question_id}")
    data.pop(f"answer-{dropped}")
    data[f"answer-{attempt.questions[1].question_id}"] = kept
    response = submit(client, attempt.id, data)
    assert response.status_code == 400 and "2 questions are not answered" in response.text or \
        "1 question is not answered" in response.text
    assert f'value="{kept[0]}"\n        checked' in response.text or f'value="{kept[0]}"' in response.text
    assert stored() == (0, 0)


def test_client_sent_score_and_user_fields_are_ignored(client, attempt, people):
    data = answer_all(attempt, right=0)
    data.update({"score": "100", "passed": "true", "user_id": str(people.other_employee.id), "correct_count": "4"})
    submit(client, attempt.id, data)
    submission = db.session.get(Submission, attempt.id)
    assert submission.correct_count == 0 and not submission.passed
    assert db.session.get(Attempt, attempt.id).user_id == people.employee.id


def test_resubmitting_a_submitted_attempt_is_refused(client, attempt):
    submit(client, attempt.id, answer_all(attempt, right=0))
    before = stored()
    response = submit(client, attempt.id, answer_all(attempt, right=4))
    assert response.status_code == 409 and "already submitted" in response.text
    assert stored() == before
    assert not db.session.get(Submission, attempt.id).passed


def test_another_persons_attempt_is_not_found(client, attempt, people, login):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(people.other_employee)
    assert client.get(f"/attempts/{attempt.id}").status_code == 404
    assert submit(client, attempt.id, answer_all(attempt, right=4)).status_code == 404
    assert stored() == (0, 0)


def test_manager_may_read_but_not_submit_a_reports_attempt(client, attempt, people, login):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(people.manager)
    assert submit(client, attempt.id, answer_all(attempt, right=4)).status_code == 404
    assert stored() == (0, 0)


def test_submission_without_csrf_token_is_refused(client, attempt):
    response = client.post(f"/attempts/{attempt.id}", data=answer_all(attempt, right=4))
    assert response.status_code == 400
    assert stored() == (0, 0)


def test_two_simultaneous_submissions_store_one(app, course, people):
    """Two threads submit the same attempt at once: one wins, the other is told it was already submitted."""
    module = current_module("test-course", "privacy")
    for lesson in module.lessons:
        record_lesson_view(people.employee, lesson)
    attempt = start_attempt(people.employee, module, utcnow())
    db.session.commit()
    attempt_id, user_id = attempt.id, people.employee.id
    answers = {aq.question_id: [o.id for o in aq.question.options if o.is_correct] for aq in attempt.questions}
    db.session.rollback()  # end this thread's transaction: on SQLite it would hold the write lock
    barrier = threading.Barrier(2)
    outcomes = []

    def worker():
        with app.app_context():
            from app.accounts.models import User

            barrier.wait()
            try:
                user = db.session.get(User, user_id)
                mine = db.session.get(Attempt, attempt_id)
                submit_attempt(user, mine, answers, utcnow())
                db.session.commit()
                outcomes.append("ok")
            except AlreadySubmitted:
                db.session.rollback()
                outcomes.append("already")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["already", "ok"], outcomes
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 1
    assert db.session.scalar(select(func.count()).select_from(ModuleCompletion)) == 1

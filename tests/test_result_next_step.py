"""Every result page ends with the next thing to do: re-read, retry at a time, the next module, or the
certificate the pass completed with the rights it grants."""
from datetime import timedelta
from zoneinfo import ZoneInfo

from app.extensions import db
from app.localtime import clock
from app.quizzes.models import Attempt
from app.quizzes.next_step import next_step
from app.timestamps import utcnow
from tests.factories import pass_module
from tests.test_learner_path import answer_all, read_all_lessons, start_quiz, submit


def take_privacy_quiz(client, people, login, right: int) -> tuple[Attempt, str]:
    """Eli reads the privacy lessons and submits an attempt with `right` answers right; its result page."""
    login(people.employee)
    read_all_lessons(client)
    attempt = db.session.get(Attempt, start_quiz(client))
    submit(client, attempt.id, answer_all(attempt, right=right))
    return attempt, client.get(f"/attempts/{attempt.id}").text


def test_a_fail_names_the_score_the_retry_time_and_what_to_read_now(client, course, people, login):
    attempt, page = take_privacy_quiz(client, people, login, right=2)
    step = next_step(attempt, utcnow())
    assert "Not passed (50%)" in page and f"retry after {clock(step.retry_at, ZoneInfo('UTC'))}" in page
    assert "Next:</strong> read again what this attempt missed" in page
    for lesson in step.reread:
        assert f'/learn/test-course/privacy/{lesson.slug}"' in page
    # Once the lessons are reopened and the cooldown is over, the next step is the retake itself.
    for lesson in step.reread:
        client.get(f"/learn/test-course/privacy/{lesson.slug}")
    later = next_step(db.session.get(Attempt, attempt.id), utcnow() + timedelta(minutes=11))
    assert later.can_retry_now and not later.reread and later.retry_at is None


def test_a_pass_points_at_the_next_module(client, course, people, login):
    _attempt, page = take_privacy_quiz(client, people, login, right=4)
    assert "Next:</strong> Replying to reviews" in page and "/learn/test-course/replies/" in page
    assert "You earned" not in page


def test_the_pass_that_completes_a_certification_says_so(client, course, people, login):
    pass_module(people.employee, "privacy", utcnow() - timedelta(hours=1))
    login(people.employee)
    read_all_lessons(client, "replies")
    attempt = db.session.get(Attempt, start_quiz(client, "replies"))
    submit(client, attempt.id, answer_all(attempt, right=len(attempt.questions)))
    page = client.get(f"/attempts/{attempt.id}").text
    step = next_step(attempt, utcnow())
    assert [c.certification_slug for c in step.earned] == ["core"]
    assert "You earned your certificate" in page and f"/certificates/{step.earned[0].id}/pdf" in page
    assert step.rights and f"You may now: {step.rights[0]}" in page


def test_someone_else_viewing_a_result_gets_no_next_step(client, course, people, login):
    attempt, _page = take_privacy_quiz(client, people, login, right=2)
    login(people.manager)
    page = client.get(f"/attempts/{attempt.id}").text
    assert "Not passed yet" in page and "Next:</strong>" not in page

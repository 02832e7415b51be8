"""Item analysis: the pure statistics, and the admin page and CSV over stored attempts."""
from datetime import timedelta

import pytest

from app.quizzes.item_analysis import ItemResponse, analyse, point_biserial
from app.timestamps import utcnow
from tests.conftest import csrf_token
from tests.factories import make_user, pass_module
from tests.test_learner_path import answer_all, read_all_lessons, start_quiz, submit


def test_point_biserial_is_high_when_those_right_do_better_elsewhere():
    assert point_biserial([True, True, False, False], [1.0, 0.9, 0.2, 0.1]) == pytest.approx(0.99, abs=0.01)
    assert point_biserial([True, False, True, False], [0.1, 0.9, 0.2, 1.0]) < 0
    assert point_biserial([True, True], [0.5, 0.7]) is None  # nobody got it wrong: no contrast


def test_flags_name_what_a_course_owner_should_look_at():
    options = {1: [(10, True), (11, False), (12, False)], 2: [(20, True), (21, False)]}
    responses = []
    for attempt in range(20):
        strong = attempt < 10
        responses.append(ItemResponse(attempt, 1, True, frozenset({10})))  # everyone right
        responses.append(ItemResponse(attempt, 2, strong, frozenset({20 if strong else 21})))
    easy, sharp = analyse(responses, options)
    assert easy.seen == 20 and easy.facility == 1.0
    assert "too easy" in easy.flags and "a distractor nobody picks" in easy.flags
    assert sharp.facility == 0.5 and "too easy" not in sharp.flags and "too hard" not in sharp.flags
    assert dict(sharp.option_rates) == {20: 0.5, 21: 0.5}


def test_the_admin_page_and_csv_read_the_stored_attempts(client, course, people, login):
    for i in range(3):
        pass_module(make_user(f"Learner {i}"), "privacy", utcnow() - timedelta(days=2))
    login(people.employee)
    read_all_lessons(client)
    attempt_id = start_quiz(client)
    from app.extensions import db
    from app.quizzes.models import Attempt

    submit(client, attempt_id, answer_all(db.session.get(Attempt, attempt_id), right=0))
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(people.admin)
    page = client.get("/reports/questions")
    assert page.status_code == 200 and "How the questions perform" in page.text and "Privacy basics" in page.text
    csv = client.get("/reports/questions", query_string={"format": "csv"})
    assert csv.status_code == 200 and csv.mimetype == "text/csv" and csv.headers["Cache-Control"] == "no-store"
    lines = csv.text.strip().splitlines()
    assert lines[0].startswith("\ufeffModule,Question,Seen,Share right,Discrimination")
    seen = {line.split(",")[1]: int(line.split(",")[2]) for line in lines[1:] if line.startswith("privacy,")}
    assert sum(seen.values()) == 4 * 4  # four attempts of four drawn questions each
    bad = client.get("/reports/questions", query_string={"from": "2026-13-01"})
    assert bad.status_code == 400

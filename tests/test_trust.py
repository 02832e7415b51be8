"""Regressions from the second penetration test (issue 25): each fails on the code before its fix."""
import re

from sqlalchemy import func, select

from app.extensions import db
from app.quizzes.models import Attempt, Submission
from app.rights.models import RightsSuspension
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.test_learner_path import answer_all, read_all_lessons, start_quiz


def test_a_csrf_token_planted_before_sign_in_is_refused_after_it(client, course, people):
    planted = csrf_token(client)  # what an attacker could plant in the victim's not-yet-signed-in browser
    response = client.post("/login", data={"email": people.manager.email, "password": PASSWORD,
                                           "csrf_token": planted})
    assert response.status_code == 302
    forged = client.post(f"/people/{people.employee.id}/rights/suspend",
                         data={"reason": "Forged by someone else", "csrf_token": planted})
    assert forged.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(RightsSuspension)) == 0
    fresh = csrf_token(client, f"/people/{people.employee.id}/rights")
    assert fresh != planted


def test_a_token_from_before_sign_out_is_refused_after_it(client, course, people, login):
    login(people.manager)
    before = csrf_token(client, "/")
    client.post("/logout", data={"csrf_token": before})
    assert client.post("/login", data={"email": people.manager.email, "password": PASSWORD,
                                       "csrf_token": before}).status_code == 400


def test_a_line_break_in_next_after_sign_in_goes_home(client, people):
    response = client.post("/login?next=/rights%0d%0aSet-Cookie:%20x=1", data={
        "email": people.employee.email, "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "x=1" not in response.headers.get("Set-Cookie", "")


def test_an_expired_quiz_form_comes_back_with_the_answers_kept(client, course, people, login):
    login(people.employee)
    read_all_lessons(client)
    attempt_id = start_quiz(client)
    answers = answer_all(db.session.get(Attempt, attempt_id), right=5)
    refused = client.post(f"/attempts/{attempt_id}", data={**answers, "csrf_token": "expired-or-from-elsewhere"})
    assert refused.status_code == 400 and "security check expired" in refused.text
    for option_ids in answers.values():
        for option_id in option_ids:
            assert re.search(rf'value="{option_id}"[^>]*checked', refused.text), "the learner's answer was lost"
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', refused.text).group(1)
    assert client.post(f"/attempts/{attempt_id}", data={**answers, "csrf_token": token}).status_code == 302

"""Answers in progress are saved on the server as they are chosen and come back with the page."""
from sqlalchemy import func, select

from app.extensions import db
from app.quizzes.models import AnswerDraft, Attempt
from tests.conftest import csrf_token
from tests.test_learner_path import answer_all, read_all_lessons, start_quiz, submit


def save(client, attempt_id, question_id, *option_ids, token=None):
    return client.post(f"/attempts/{attempt_id}/draft", data={"question": question_id, "option": list(option_ids)},
                       headers={"X-CSRFToken": token or csrf_token(client, f"/attempts/{attempt_id}")})


def checked(client, attempt_id) -> set[str]:
    html = client.get(f"/attempts/{attempt_id}").text
    return {chunk.split('id="o', 1)[1].split('"', 1)[0] for chunk in html.split("<input")[1:]
            if " checked" in chunk.split(">", 1)[0] and 'id="o' in chunk.split(">", 1)[0]}


def test_a_choice_is_saved_and_restored_after_signing_in_again(client, course, people, login):
    login(people.employee)
    read_all_lessons(client)
    attempt = db.session.get(Attempt, start_quiz(client))
    first, second = attempt.questions[0].question, attempt.questions[1].question
    assert save(client, attempt.id, first.id, first.options[1].id).status_code == 204
    assert save(client, attempt.id, second.id, second.options[0].id).status_code == 204
    assert save(client, attempt.id, second.id, second.options[2].id).status_code == 204  # changed their mind
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(people.employee)
    assert checked(client, attempt.id) == {str(first.options[1].id), str(second.options[2].id)}
    assert save(client, attempt.id, first.id).status_code == 204  # cleared
    assert checked(client, attempt.id) == {str(second.options[2].id)}


def test_bad_drafts_are_refused_and_change_nothing(client, course, people, login):
    login(people.employee)
    read_all_lessons(client)
    attempt = db.session.get(Attempt, start_quiz(client))
    first, second = attempt.questions[0].question, attempt.questions[1].question
    token = csrf_token(client, f"/attempts/{attempt.id}")
    assert save(client, attempt.id, first.id, second.options[0].id, token=token).status_code == 400
    assert save(client, attempt.id, 999999, first.options[0].id, token=token).status_code == 400
    bad = client.post(f"/attempts/{attempt.id}/draft", data={"question": "x"}, headers={"X-CSRFToken": token})
    assert bad.status_code == 400
    no_token = client.post(f"/attempts/{attempt.id}/draft", data={"question": first.id, "option": first.options[0].id})
    assert no_token.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(AnswerDraft)) == 0

    login(people.other_employee)
    assert save(client, attempt.id, first.id, first.options[0].id).status_code == 404  # not theirs

    login(people.employee)
    submit(client, attempt.id, answer_all(attempt, right=4))
    assert save(client, attempt.id, first.id, first.options[0].id).status_code == 409
    assert db.session.scalar(select(func.count()).select_from(AnswerDraft)) == 0

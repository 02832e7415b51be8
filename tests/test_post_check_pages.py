"""Check a post: the page for everyone signed in, the API for social tools, the counts for compliance."""
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import func, select

from app.api.services import create_token
from app.extensions import db
from app.postcheck.models import PostCheckCount, SavedPostCheck
from app.timestamps import utcnow
from tests.conftest import csrf_token
from tests.factories import certify

BUNDLED_COURSES = Path(__file__).parent.parent / "courses"
LEAKY = "So proud of Maria Lopez in room 412 going home after her knee surgery on March 3!"


@pytest.fixture(autouse=True)
def bundled_rules(app):
    app.config["COURSES_DIR"] = str(BUNDLED_COURSES)  # the reviewed rules and the lessons they cite


def check(client, text, platform="instagram", save=False):
    data = {"text": text, "platform": platform, "csrf_token": csrf_token(client, "/check-post")}
    if save:
        data["save"] = "y"
    return client.post("/check-post", data=data)


def test_an_employee_checks_a_draft_and_is_told_why_with_the_lesson(client, people, login):
    login(people.employee)
    page = check(client, LEAKY)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Do not post this" in page.text
    assert '<mark class="finding-stop"' in page.text and "Maria Lopez" in page.text
    assert "A room or bed" in page.text and "/learn/hipaa-social-media/phi/" in page.text
    assert "45 CFR 164.514(b)(2)(i)" in page.text
    clean = check(client, "Flu shots are free at every clinic this Saturday, 9 to noon. No appointment needed!")
    assert "Looks fine" in clean.text
    # Nothing kept: no saved check, only counts without text or person.
    assert db.session.scalar(select(func.count()).select_from(SavedPostCheck)) == 0
    counts = {k: n for k, n in db.session.execute(select(PostCheckCount.kind, PostCheckCount.count))}
    assert counts["checks"] == 2 and counts["verdict:stop"] == 1 and counts["verdict:ok"] == 1
    assert counts["room_bed"] == 1


def test_a_check_is_kept_only_when_its_author_asks(client, people, login):
    login(people.employee)
    page = check(client, "Our new laser treatment is 100% painless and guaranteed to work!", save=True)
    assert "Have someone review this" in page.text and "A claim that needs proof" in page.text
    saved = db.session.scalars(select(SavedPostCheck)).one()
    assert saved.user_id == people.employee.id and saved.verdict == "review"
    assert "Your saved checks (1)" in client.get("/check-post").text
    login(people.manager)
    assert "Your saved checks" not in client.get("/check-post").text  # nobody else sees them


def test_bad_input_is_refused_and_counts_nothing(client, people, login):
    login(people.employee)
    empty = check(client, "   ")
    assert empty.status_code == 400 and "Paste the text of your post." in empty.text
    long = check(client, "x" * 10_001)
    assert long.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(PostCheckCount)) == 0


def test_the_api_checks_and_says_whether_the_author_may_post(app, client, course, people):
    certify(people.employee, utcnow())
    _, secret = create_token(people.admin, "Sprout", utcnow(), "postcheck")
    _, rights_secret = create_token(people.admin, "Rights", utcnow())
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    body = {"text": LEAKY, "platform": "instagram", "author_email": people.employee.email}
    answer = client.post("/api/v1/post-checks", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    data = answer.json
    spec = client.get("/api/v1/openapi.json").json
    schema = {**spec["components"]["schemas"]["PostCheck"], "components": spec["components"]}
    jsonschema.validate(data, schema)
    assert data["verdict"] == "stop" and data["author"]["allowed"] is True
    kinds = {f["kind"]: f for f in data["findings"]}
    assert LEAKY[kinds["room_bed"]["start"]:kinds["room_bed"]["end"]] == "room 412"
    lesson = kinds["room_bed"]["lesson_url"]
    assert lesson.startswith("http") and "/learn/hipaa-social-media/" in lesson
    unknown = client.post("/api/v1/post-checks", json={**body, "author_email": "nobody@example.org"}, headers=headers)
    assert unknown.json["author"]["allowed"] is False and unknown.json["verdict"] == "stop"
    assert client.post("/api/v1/post-checks", json=body,
                       headers={"Authorization": f"Bearer {rights_secret}"}).status_code == 403
    for bad in ({"text": ""}, {"text": "hi", "platform": "myspace"}, ["not", "an", "object"], {"text": 5}):
        response = client.post("/api/v1/post-checks", json=bad, headers=headers)
        assert response.status_code == 400 and response.json["error"]["message"]


def test_compliance_sees_counts_by_month_and_a_manager_does_not(client, people, login):
    login(people.employee)
    check(client, LEAKY)
    login(people.admin)
    page = client.get("/reports/post-checks").text
    assert f"{utcnow():%b %Y}" in page and "A room or bed" in page and "Maria" not in page
    login(people.manager)
    assert client.get("/reports/post-checks").status_code == 403


def test_nothing_of_the_draft_reaches_the_logs(client, people, login, caplog):
    login(people.employee)
    with caplog.at_level("DEBUG"):
        check(client, LEAKY)
        check(client, "x" * 10_001)  # refused input too
    assert "Lopez" not in caplog.text and "room 412" not in caplog.text

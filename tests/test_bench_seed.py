"""The benchmark's seed and floors: the copied organisation is consistent, its quiz pools earn what
the benchmark says, and the floors answer what they claim (the export floor: the app's own CSV)."""
import json
import re
from collections import Counter, defaultdict
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from app import create_app
from app.accounts.models import User
from app.certificates.models import Certificate
from app.certificates.services import signing_key
from app.certificates.signing import verify_signature
from app.extensions import db
from app.quizzes.models import Attempt
from app.quizzes.services import submit_attempt
from bench import floors
from bench.seed import PASSWORD, TEAM, TEAM_SIZE, open_attempts, pdf_holders, seed


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('bench') / 'bench.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-seed-test-secret-key-0123456789",
                      "SESSION_COOKIE_SECURE": False, "CERTIFICATE_PDFS": "worker"})
    result = seed(app, 420, log=lambda *_: None)
    return app, url, result


def test_the_organisation_is_copied_with_its_shape(seeded):
    app, _, result = seeded
    with app.app_context():
        users = db.session.scalars(select(User)).all()
        by_id = {u.id: u for u in users}
        assert result.people == len(users) and 400 <= len(users) <= 420
        reports = Counter(u.manager_id for u in users if u.role == "employee")
        assert reports[result.team_manager_id] == TEAM_SIZE == result.team_size
        assert all(by_id[m].role == "manager" for m in reports) and len(reports) >= 3
        for u in users:  # every copy sits in its manager's department, as the stories do
            if u.role == "employee":
                assert u.department_id == by_id[u.manager_id].department_id
        story_names = {name for name, _, _ in TEAM}
        assert Counter(u.full_name for u in users if u.role == "employee").keys() == story_names


def test_every_copied_certificate_verifies(seeded):
    app, _, result = seeded
    with app.app_context():
        public = signing_key().public
        certificates = db.session.scalars(select(Certificate)).all()
        assert len(certificates) > 10 * len(TEAM)
        assert len({c.code for c in certificates}) == len(certificates)
        for c in certificates:
            payload = json.loads(c.payload)
            assert payload["code"] == c.code and payload["holder"] == c.holder_name == c.user.full_name
            assert verify_signature(public, c.payload, c.signature), c.id


def test_every_pooled_attempt_earns_what_its_pool_says_in_either_order(seeded):
    app, _, _ = seeded
    with app.app_context():
        pools = open_attempts(db.engine, 10_000)
        by_person = defaultdict(list)
        for attempt in pools:
            by_person[attempt.email].append(attempt)
        assert len(pools) > 2 * len(by_person)  # about 2.5 a person
        assert {a.pool for a in pools} == {"cert", "nocert"}
        several = [attempts for attempts in by_person.values() if len(attempts) > 1]
        for n, attempts in enumerate(several[:24]):
            for attempt in attempts if n % 2 else reversed(attempts):
                user = db.session.scalar(select(User).where(User.email == attempt.email))
                now = datetime.now(timezone.utc)
                attempt_row = db.session.get(Attempt, attempt.attempt_id)
                submission = submit_attempt(user, attempt_row, dict(attempt.correct), now)
                earned = [c.certification_slug for c in submission.issued_certificates]
                db.session.commit()
                expected = ["core" if attempt.module_slug == "workflow" else attempt.module_slug]
                assert earned == (expected if attempt.pool == "cert" else []), (attempt.module_slug, earned)
        failing = pools[-1]
        user = db.session.scalar(select(User).where(User.email == failing.email))
        submission = submit_attempt(user, db.session.get(Attempt, failing.attempt_id), dict(failing.wrong),
                                    datetime.now(timezone.utc))
        assert not submission.passed
        db.session.rollback()
        assert pdf_holders(db.engine, 5)


def test_the_floors_answer_and_the_export_floor_writes_the_apps_csv(seeded):
    app, url, result = seeded
    floor = floors.create_app(url, app.config["COURSES_DIR"]).test_client()
    assert floor.get("/floor/json").json["ok"] is True
    assert floor.get(f"/floor/people/{result.admin_email}").json["email"] == result.admin_email
    assert floor.post("/floor/insert", data={"note": "x"}).status_code == 201
    assert floor.get(f"/floor/team/{result.team_manager_id}").text.count("<tr>") == TEAM_SIZE + 1
    assert floor.get(f"/floor/team/{result.team_manager_id}.csv").text.count("\r\n") == TEAM_SIZE + 1

    client = app.test_client()
    page = client.get("/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    signed_in = client.post("/login", data={"email": result.admin_email, "password": PASSWORD, "csrf_token": token})
    assert signed_in.status_code == 302
    export = client.get("/organization.csv")
    assert export.status_code == 200
    assert floor.get("/floor/export.csv").text == export.text

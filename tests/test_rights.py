"""Posting rights: derived live from certificates and suspensions; the API answers other systems."""
from datetime import timedelta

import jsonschema
import pytest
from sqlalchemy import select

from app.api.services import create_token, revoke_token
from app.certificates.models import Certificate
from app.certificates.rules import HeldCertificate
from app.certificates.services import revoke_certificate
from app.extensions import db
from app.rights.policy import RightRule, read_policy
from app.rights.rules import Suspension, decide_right
from app.rights.services import lift_suspension, rights_of, suspend_rights
from app.timestamps import utcnow
from tests.conftest import FIXTURE_COURSES, csrf_token
from tests.factories import certify

NOW = utcnow()
INSTAGRAM = RightRule("post-instagram", "Post on Instagram", ("core", "instagram"), "instagram")


def allowed(person, now=None) -> dict[str, bool]:
    return {d.slug: d.allowed for d in rights_of(person, now or utcnow())}


@pytest.fixture
def token(app, people):
    _, secret = create_token(people.admin, "Scheduler", utcnow())
    db.session.commit()
    return secret


def api(client, path, token=None, **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.get(f"/api/v1{path}", headers=headers)


# --- pure rule -----------------------------------------------------------------------

def test_rule_needs_every_required_certificate_valid():
    core = HeldCertificate("core", NOW - timedelta(days=10), NOW + timedelta(days=300))
    ig = HeldCertificate("instagram", NOW - timedelta(days=5), NOW + timedelta(days=100))
    yes = decide_right(INSTAGRAM, [core, ig], [], True, NOW)
    assert yes.allowed and yes.expires_at == ig.expires_at
    assert not decide_right(INSTAGRAM, [core], [], True, NOW).allowed
    expired = decide_right(INSTAGRAM, [core, HeldCertificate("instagram", NOW - timedelta(days=400),
                                                             NOW - timedelta(days=35))], [], True, NOW)
    assert not expired.allowed and "expired on" in expired.reason and expired.missing == ("instagram",)
    revoked = decide_right(INSTAGRAM, [core, HeldCertificate("instagram", ig.issued_at, ig.expires_at, NOW)],
                           [], True, NOW)
    assert "revoked" in revoked.reason
    assert "deactivated" in decide_right(INSTAGRAM, [core, ig], [], False, NOW).reason
    suspended = decide_right(INSTAGRAM, [core, ig], [Suspension(None, "Investigation", "Mona", NOW)], True, NOW)
    assert not suspended.allowed and "Suspended by Mona" in suspended.reason
    other = decide_right(INSTAGRAM, [core, ig], [Suspension("post-facebook", "x", "Mona", NOW)], True, NOW)
    assert other.allowed


def test_policy_file_is_checked(tmp_path):
    (tmp_path / "rights.yaml").write_text("rights:\n  - slug: post-x\n    title: X\n    requires: [core, nope]\n")
    _, problems = read_policy(tmp_path, {"core"})
    assert [str(p) for p in problems] == ["rights.yaml:4: right 'post-x' requires unknown certification 'nope'"]
    policy, problems = read_policy(FIXTURE_COURSES, {"core", "instagram"})
    assert problems == [] and policy.for_platform("instagram").requires == ("core", "instagram")


# --- live derivation -------------------------------------------------------------------

def test_rights_appear_with_certificates_and_lapse_with_expiry(course, people):
    assert allowed(people.employee) == {"post-instagram": False, "reply-comments-reviews": False}
    certify(people.employee, NOW - timedelta(days=10), platforms=())
    assert allowed(people.employee) == {"post-instagram": False, "reply-comments-reviews": True}
    certify(people.employee, NOW, platforms=("instagram",))
    assert allowed(people.employee) == {"post-instagram": True, "reply-comments-reviews": True}
    assert allowed(people.employee, NOW + timedelta(days=366)) == {"post-instagram": False,
                                                                  "reply-comments-reviews": False}


def test_suspension_and_lift_are_recorded_and_take_effect_at_once(course, people):
    certify(people.employee, NOW)
    suspension = suspend_rights(people.manager, people.employee, "post-instagram", "Posted a wristband photo", NOW)
    db.session.commit()
    assert allowed(people.employee) == {"post-instagram": False, "reply-comments-reviews": True}
    lift_suspension(people.manager, suspension, "Retrained", NOW)
    db.session.commit()
    assert allowed(people.employee)["post-instagram"]
    assert suspension.suspended_by_id == people.manager.id and suspension.lift.lifted_by_id == people.manager.id


def test_lifting_one_suspension_leaves_the_suspenders_others_in_force(client, course, people, token):
    # Regression: the lift was once joined to the suspender instead of the suspension, so one lift by
    # a manager seemed to lift every suspension that manager had made.
    for person in (people.employee, people.indirect):
        certify(person, NOW)
    first = suspend_rights(people.manager, people.employee, None, "Posted a wristband photo", NOW)
    suspend_rights(people.manager, people.indirect, None, "Shared a chart on a group chat", NOW)
    db.session.commit()
    lift_suspension(people.manager, first, "Retrained", NOW + timedelta(minutes=1))
    db.session.commit()
    assert allowed(people.employee) == {"post-instagram": True, "reply-comments-reviews": True}
    assert allowed(people.indirect) == {"post-instagram": False, "reply-comments-reviews": False}
    answer = api(client, f"/people/{people.indirect.email}/posting-rights/instagram", token).get_json()
    assert answer["allowed"] is False and answer["reason"].startswith("Suspended by Mona Manager")
    assert api(client, f"/people/{people.employee.email}/posting-rights/instagram", token).get_json()["allowed"]


def test_other_teams_manager_cannot_suspend(course, people):
    from app.rights.services import RightsError

    with pytest.raises(RightsError):
        suspend_rights(people.other_manager, people.employee, None, "Not my team", NOW)
    with pytest.raises(RightsError):
        suspend_rights(people.employee, people.employee, None, "Self suspension", NOW)


def test_my_rights_page_explains_why_not(client, course, people, login):
    login(people.employee)
    page = client.get("/rights").text
    assert "Needs the Test core certification" in page
    certify(people.employee, NOW, platforms=())
    page = client.get("/rights").text
    assert "Certified until" in page and "Needs the Test Instagram certification" in page


def test_manager_suspends_from_the_person_page(client, course, people, login):
    certify(people.employee, NOW)
    login(people.manager)
    page = f"/people/{people.employee.id}/rights"
    assert client.get(page).status_code == 200
    response = client.post(f"/people/{people.employee.id}/rights/suspend",
                           data={"right": "", "reason": "Pending review", "csrf_token": csrf_token(client, page)})
    assert response.status_code == 302
    assert "Suspended by Mona Manager" in client.get(page).text
    assert allowed(people.employee) == {"post-instagram": False, "reply-comments-reviews": False}
    bad = client.post(f"/people/{people.employee.id}/rights/suspend",
                      data={"right": "post-nothing", "reason": "Pending review",
                            "csrf_token": csrf_token(client, page)})
    assert bad.status_code == 400


def test_team_page_and_outsiders(client, course, people, login):
    login(people.manager)
    team = client.get("/team/rights").text
    assert "Eli Employee" in team and "Ivy Indirect" in team and "Olga Other" not in team
    assert client.get(f"/people/{people.other_employee.id}/rights").status_code == 404
    assert client.post(f"/people/{people.other_employee.id}/rights/suspend",
                       data={"reason": "xxxxxx", "csrf_token": csrf_token(client, "/")}).status_code == 404


# --- API -----------------------------------------------------------------------------------

def test_api_answers_and_changes_at_once(client, course, people, token):
    certify(people.employee, NOW)
    body = api(client, f"/people/{people.employee.email}/posting-rights/instagram", token).json
    assert body["allowed"] is True and body["expires_at"]
    core = db.session.scalar(select(Certificate).where(Certificate.certification_slug == "core"))
    revoke_certificate(people.admin, core, "Shared PHI in a post", utcnow())
    db.session.commit()
    body = api(client, f"/people/{people.employee.email}/posting-rights/instagram", token).json
    assert body["allowed"] is False and "revoked" in body["reason"]


def test_api_for_deactivated_and_suspended_people(client, course, people, token):
    certify(people.employee, NOW)
    suspend_rights(people.admin, people.employee, None, "Under investigation", NOW)
    db.session.commit()
    body = api(client, f"/people/{people.employee.email}/posting-rights/instagram", token).json
    assert not body["allowed"] and "Suspended" in body["reason"]
    body = api(client, f"/people/{people.deactivated.email}/posting-rights", token).json
    assert not any(r["allowed"] for r in body["rights"]) and "deactivated" in body["rights"][0]["reason"]


def test_api_unknown_people_get_one_404(client, course, people, token):
    a = api(client, "/people/nobody@test-health.example/posting-rights", token)
    b = api(client, "/people/someone@elsewhere.example/posting-rights/instagram", token)
    assert a.status_code == b.status_code == 404
    assert a.json == b.json == {"error": {"status": 404, "message": "No such person."}}
    assert api(client, f"/people/{people.employee.email}/posting-rights/myspace", token).status_code == 404


def test_api_tokens_header_only_and_revocable(client, course, people, token):
    path = f"/people/{people.employee.email}/posting-rights"
    assert api(client, path).status_code == 401
    assert api(client, path, "prt_wrong").status_code == 401
    assert client.get(f"/api/v1{path}?access_token={token}").status_code == 400
    assert api(client, path, token).status_code == 200
    from app.api.models import ApiToken

    revoke_token(people.admin, db.session.scalar(select(ApiToken)), utcnow())
    db.session.commit()
    assert api(client, path, token).status_code == 401


def test_a_bad_token_hears_401_on_every_api_path(client, course, people, token):
    # The rights endpoints check the token in the same statement as the data; whatever the path
    # (known or unknown person, platform or not), a missing, wrong or revoked token comes first.
    from app.api.models import ApiToken

    me, nobody = people.employee.email, "nobody@nowhere.example"
    paths = [f"/people/{me}/posting-rights", f"/people/{me}/posting-rights/instagram",
             f"/people/{nobody}/posting-rights", f"/people/{nobody}/posting-rights/instagram",
             f"/people/{me}/posting-rights/myspace"]
    for path in paths:
        for bad in (None, "prt_wrong", "not-even-a-prefix"):
            answer = api(client, path, bad)
            assert answer.status_code == 401 and answer.headers["WWW-Authenticate"], (path, bad)
    assert api(client, paths[1], token).status_code == 200
    assert api(client, paths[3], token).status_code == 404
    assert api(client, paths[4], token).status_code == 404
    revoke_token(people.admin, db.session.scalar(select(ApiToken)), utcnow())
    db.session.commit()
    assert {api(client, path, token).status_code for path in paths} == {401}


def test_api_ignores_cookie_sessions(client, course, people, login):
    login(people.admin)
    response = client.get(f"/api/v1/people/{people.employee.email}/posting-rights")
    assert response.status_code == 401
    assert "Set-Cookie" not in response.headers


def test_responses_match_the_openapi_document(client, course, people, token):
    certify(people.employee, NOW)
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    schemas = spec["components"]["schemas"]

    def check(response, name):
        schema = {**schemas[name], "components": spec["components"]}  # so "#/components/..." resolves
        jsonschema.validate(response.json, schema, cls=jsonschema.Draft202012Validator)

    check(api(client, f"/people/{people.employee.email}/posting-rights", token), "Rights")
    check(api(client, f"/people/{people.employee.email}/posting-rights/instagram", token), "PlatformRight")
    check(api(client, "/people/x@y.example/posting-rights", token), "Error")
    check(api(client, "/people/x@y.example/posting-rights"), "Error")


def test_admin_creates_and_revokes_tokens_in_the_ui(client, course, people, login):
    login(people.admin)
    page = client.post("/api-tokens", data={"name": "Scheduler", "csrf_token": csrf_token(client, "/api-tokens")})
    assert page.status_code == 200 and "Copy this token now" in page.text
    assert page.headers["Cache-Control"] == "no-store"


def test_tokens_cli(cli, course):
    created = cli("tokens", "create", "Hootsuite bridge")
    assert created.exit_code == 0 and "prt_" in created.output
    assert "Hootsuite bridge" in cli("tokens", "list").output
    assert cli("tokens", "revoke", "1").exit_code == 0
    assert "revoked" in cli("tokens", "list").output


def test_api_for_a_demoted_person_follows_their_certificates(client, course, people, token):
    """A role change ends the person's sessions but does not grant or remove posting rights."""
    from app.accounts.services import PersonFields, update_person

    certify(people.manager, NOW)
    before = api(client, f"/people/{people.manager.email}/posting-rights/instagram", token).json
    update_person(people.admin, people.manager, PersonFields(people.manager.email, people.manager.full_name,
                                                             "employee", None, "Nursing", None), NOW)
    db.session.commit()
    after = api(client, f"/people/{people.manager.email}/posting-rights/instagram", token).json
    assert before["allowed"] is after["allowed"] is True

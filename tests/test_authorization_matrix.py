"""Every route × every persona, with the expected outcome. A route without an entry fails the test.

Outcomes: "ok" (2xx, or a redirect that is not to the sign-in page), "login" (redirect to sign in),
or an exact status code. Object routes point at Eli's records (Eli reports to Mona), so the other
team's employee and manager are tried with someone else's ids.
"""
import pytest
from sqlalchemy import select

from app.accounts.services import deactivate_person
from app.api.services import create_token, revoke_token
from app.assignments.requests import request_platform
from app.assignments.requirements import add_rule
from app.certificates import links
from app.certificates.models import Certificate
from app.extensions import db
from app.quizzes.models import Attempt
from app.rights.services import suspend_rights
from app.timestamps import utcnow
from app.webhooks.models import WebhookDelivery
from app.webhooks.services import add_endpoint
from tests.conftest import csrf_token
from tests.factories import PASSWORD, certify, make_user

WEB = ("anon", "gone", "emp2", "mgr2", "emp", "mgr", "admin")  # order: those who may change things go last
L, OK = "login", "ok"

# endpoint: (method, url, {persona: outcome}); "*" is the outcome for every persona not listed.
ADMIN_ONLY = {"anon": L, "gone": L, "*": 403, "admin": OK}
SIGNED_IN = {"anon": L, "gone": L, "*": OK}
ELIS_RECORD = {"anon": L, "gone": L, "emp2": 404, "mgr2": 404, "*": OK}
MANAGERS = {"anon": L, "gone": L, "emp": 403, "emp2": 403, "admin": 403, "*": OK}
MANAGERS_AND_ADMINS = {"anon": L, "gone": L, "emp": 403, "emp2": 403, "*": OK}
PUBLIC = {"*": OK}
API = {"*": 401, "token": OK, "scim": 403}      # a SCIM token may not ask about rights
SCIM = {"*": 401, "token": 403, "scim": OK}     # nor a rights token provision people

MATRIX = {
    "accounts.change_password": ("GET", "/account/password", SIGNED_IN),
    "accounts.deactivate": ("POST", "/people/{eli}/deactivate", ADMIN_ONLY),
    "accounts.break_glass": ("POST", "/people/{eli}/break-glass", ADMIN_ONLY),
    "accounts.edit_person": ("GET", "/people/{eli}/edit", ADMIN_ONLY),
    "accounts.login": ("GET", "/login", PUBLIC),
    "branding.brand_css": ("GET", "/brand.css", PUBLIC),
    "branding.logo": ("GET", "/brand/logo", {"*": 404}),  # no logo configured here
    "accounts.logout": ("POST", "/logout", {"*": L}),  # signed out, or sent to sign in
    "accounts.new_person": ("GET", "/people/new", ADMIN_ONLY),
    "accounts.people": ("GET", "/people", ADMIN_ONLY),
    "accounts.reactivate": ("POST", "/people/{eli}/reactivate", ADMIN_ONLY),
    "accounts.send_link": ("POST", "/people/{eli}/invite", ADMIN_ONLY),
    "accounts.time_zone": ("GET", "/account/time-zone", SIGNED_IN),
    "invitations.welcome": ("GET", "/welcome/not-a-token", {"*": 400}),         # public; a bad link: 400
    "invitations.reset_password": ("GET", "/reset-password/not-a-token", {"*": 400}),
    "invitations.forgot_password": ("GET", "/forgot-password", {"*": OK}),
    "api.openapi": ("GET", "/api/v1/openapi.json", PUBLIC),
    "api_docs.docs": ("GET", "/api/docs", PUBLIC),
    "api_docs.asset": ("GET", "/api/docs/assets/swagger-ui.css", PUBLIC),
    "api.platform_right": ("GET", "/api/v1/people/{eli_email}/posting-rights/instagram", API),
    "api.posting_rights": ("GET", "/api/v1/people/{eli_email}/posting-rights", API),
    "api_tokens.revoke": ("POST", "/api-tokens/{token}/revoke", ADMIN_ONLY),
    "api_tokens.tokens": ("GET", "/api-tokens", ADMIN_ONLY),
    "certificates.detail": ("GET", "/certificates/{cert}", ELIS_RECORD),
    "certificates.download": ("GET", "/certificates/{cert}/pdf", ELIS_RECORD),
    # Eli's own download link: whoever holds it gets the file while Eli stays signed in
    # (tests/test_certificate_links.py: expiry, sign-out, forgery).
    "certificates.download_by_link": ("GET", "/certificates/{cert}/pdf/{link}", PUBLIC),
    "certificates.public_key_jwk": ("GET", "/certificates/public-key.json", PUBLIC),
    "certificates.public_key_pem": ("GET", "/certificates/public-key.pem", PUBLIC),
    "certificates.revoke": ("POST", "/certificates/{cert}/revoke", {**ADMIN_ONLY, "admin": 400}),
    "certificates.lookup": ("GET", "/verify", PUBLIC),
    "certificates.verify_json": ("GET", "/verify/{code}.json", PUBLIC),
    "certificates.verify_page": ("GET", "/verify/{code}", PUBLIC),
    "courses.lesson": ("GET", "/learn/test-course/privacy/photos", SIGNED_IN),
    "courses.module": ("GET", "/learn/test-course/privacy/", SIGNED_IN),
    "courses.my_training": ("GET", "/", SIGNED_IN),
    "policy.policy": ("GET", "/policy", SIGNED_IN),
    "policy.sign": ("POST", "/policy/1/sign", SIGNED_IN),  # no policy is loaded here: back to the page
    "quizzes.attempt": ("GET", "/attempts/{attempt}", ELIS_RECORD),
    # only the person taking the quiz saves drafts (an empty form is malformed: 400); everyone else: 404
    "quizzes.draft": ("POST", "/attempts/{attempt}/draft", {"anon": L, "gone": L, "emp": 400, "*": 404}),
    "reports.item_analysis": ("GET", "/reports/questions", ADMIN_ONLY),
    "reports.remind": ("POST", "/reminders", MANAGERS_AND_ADMINS),
    "quizzes.start": ("POST", "/learn/test-course/privacy/quiz", SIGNED_IN),
    "reports.audit_pdf": ("GET", "/reports/audit.pdf", MANAGERS_AND_ADMINS),
    "reports.new_hires": ("GET", "/reports/new-hires", MANAGERS_AND_ADMINS),
    "reports.organization": ("GET", "/organization", ADMIN_ONLY),
    "reports.organization_csv": ("GET", "/organization.csv", ADMIN_ONLY),
    "reports.person": ("GET", "/people/{eli}", ELIS_RECORD),
    "reports.team": ("GET", "/team", MANAGERS),
    "reports.team_csv": ("GET", "/team.csv", MANAGERS),
    "requirements.rules": ("GET", "/requirements", ADMIN_ONLY),
    "requirements.add": ("POST", "/requirements", {**ADMIN_ONLY, "admin": 400}),  # no fields: 400
    "requirements.remove": ("POST", "/requirements/{rule}/remove", ADMIN_ONLY),
    "requirements.ask": ("POST", "/training/platforms", {"anon": L, "gone": L, "*": 400}),  # no platform named
    # Eli's request: his managers and admins decide (no decision given: 400); Eli may not decide his own
    "requirements.decide": ("POST", "/requests/{request}/decide", {**ELIS_RECORD, "emp": 403, "mgr": 400,
                                                                  "admin": 400}),
    "requirements.withdraw": ("POST", "/people/{eli}/requirements/instagram/withdraw", {**ELIS_RECORD, "emp": 403}),
    "rights.lift": ("POST", "/suspensions/{suspension}/lift", {**ELIS_RECORD, "emp": 403}),
    "rights.my_rights": ("GET", "/rights", SIGNED_IN),
    "rights.person_rights": ("GET", "/people/{eli}/rights", ELIS_RECORD),
    "rights.suspend": ("POST", "/people/{eli}/rights/suspend", {**ELIS_RECORD, "emp": 403, "mgr": 400, "admin": 400}),
    "rights.team_rights": ("GET", "/team/rights", MANAGERS),
    # OpenID Connect sign-in: not configured here, so not there (tests/test_sso_oidc.py: the real flow)
    "sso_oidc.callback": ("GET", "/login/sso/callback", {"*": 404}),
    "sso_oidc.start": ("GET", "/login/sso", {"*": 404}),
    # SAML sign-in: not configured here either (tests/test_sso_saml.py: the real flow)
    "sso_saml.acs": ("POST", "/saml/acs", {"*": 404}),
    "sso_saml.metadata": ("GET", "/saml/metadata", {"*": 404}),
    "sso_saml.start": ("GET", "/login/saml", {"*": 404}),
    # an admin's POST without an upload's token is malformed: 400 (tests/test_staff_upload.py: the real flow)
    "staff.apply_import": ("POST", "/people/import/apply", {**ADMIN_ONLY, "admin": 400}),
    "staff.import_people": ("GET", "/people/import", ADMIN_ONLY),
    # SCIM provisioning: tokens with the scim scope only (tests/test_scim_*.py: what they do)
    "scim.service_provider_config": ("GET", "/scim/v2/ServiceProviderConfig", SCIM),
    "scim.resource_types": ("GET", "/scim/v2/ResourceTypes", SCIM),
    "scim.resource_type": ("GET", "/scim/v2/ResourceTypes/User", SCIM),
    "scim.schemas": ("GET", "/scim/v2/Schemas", SCIM),
    "scim.schema": ("GET", "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", SCIM),
    "scim.users": ("GET", "/scim/v2/Users", SCIM),
    "scim.user": ("GET", "/scim/v2/Users/{eli}", SCIM),
    "scim.search_users": ("POST", "/scim/v2/Users/.search", {**SCIM, "scim": 400}),  # a form, not JSON: 400
    "scim.search_everything": ("POST", "/scim/v2/.search", {**SCIM, "scim": 501}),  # one resource type only
    # Post checks: everyone signed in; the counts for admins; the API for postcheck tokens only
    "post_checks.check_post": ("GET", "/check-post", SIGNED_IN),
    "post_checks.stats": ("GET", "/reports/post-checks", ADMIN_ONLY),
    "api.post_check": ("POST", "/api/v1/post-checks", {"*": 401, "token": 403, "scim": 403}),
    # Webhooks: admins only (tests/test_webhook_admin.py: what they do)
    "webhooks.index": ("GET", "/admin/webhooks", ADMIN_ONLY),
    "webhooks.endpoint": ("GET", "/admin/webhooks/{hook}", ADMIN_ONLY),
    "webhooks.pause": ("POST", "/admin/webhooks/{hook}/pause", ADMIN_ONLY),
    "webhooks.resume": ("POST", "/admin/webhooks/{hook}/resume", ADMIN_ONLY),
    "webhooks.rotate": ("POST", "/admin/webhooks/{hook}/rotate", ADMIN_ONLY),
    "webhooks.test": ("POST", "/admin/webhooks/{hook}/test", ADMIN_ONLY),  # nothing listens: a failed test
    "webhooks.delete": ("POST", "/admin/webhooks/{hook}/delete", ADMIN_ONLY),
    "webhooks.replay": ("POST", "/admin/webhooks/deliveries/{delivery}/replay", ADMIN_ONLY),
}
UNCHECKED = {"static"}  # files only


def test_every_route_has_an_entry(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - UNCHECKED
    assert endpoints - set(MATRIX) == set(), "add these routes to the authorization matrix"
    assert set(MATRIX) - endpoints == set(), "these matrix entries name routes that no longer exist"


@pytest.fixture
def world(app, course, people):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    hook, _ = add_endpoint(people.admin, "https://127.0.0.1:9/hooks", "", [], utcnow())  # port 9: nobody there
    certify(people.employee, utcnow(), platforms=())
    certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == people.employee.id).limit(1))
    attempt = db.session.scalar(select(Attempt).where(Attempt.user_id == people.employee.id).limit(1))
    suspension = suspend_rights(people.manager, people.employee, None, "Matrix test suspension", utcnow())
    token, secret = create_token(people.admin, "matrix", utcnow())
    platform_request = request_platform(people.employee, "instagram", "", utcnow())
    rule = add_rule(people.admin, "instagram", None, "manager", utcnow())
    _, scim_secret = create_token(people.admin, "matrix-scim", utcnow(), "scim")
    revoked, revoked_secret = create_token(people.admin, "matrix-revoked", utcnow())
    revoke_token(people.admin, revoked, utcnow())
    gone = make_user("Gail Gone", manager=people.manager)
    db.session.commit()
    clients = {"anon": app.test_client(), "token": app.test_client(), "revoked": app.test_client(),
               "scim": app.test_client()}
    for name, person in [("emp", people.employee), ("emp2", people.other_employee), ("mgr", people.manager),
                         ("mgr2", people.other_manager), ("admin", people.admin), ("gone", gone)]:
        c = app.test_client()
        response = c.post("/login", data={"email": person.email, "password": PASSWORD, "csrf_token": csrf_token(c)})
        assert response.status_code == 302
        clients[name] = c
    deactivate_person(people.admin, gone, utcnow())  # signed in a moment ago, deactivated now
    db.session.commit()
    db.session.refresh(people.employee)
    link = links.make_token(app.secret_key, certificate.id, people.employee.id, people.employee.session_token)
    ids = {"link": link, "eli": people.employee.id, "eli_email": people.employee.email, "cert": certificate.id,
           "code": certificate.code, "attempt": attempt.id, "suspension": suspension.id, "token": token.id,
           "request": platform_request.id, "rule": rule.id, "hook": hook.id,
           "delivery": db.session.scalar(select(WebhookDelivery.id).limit(1))}
    headers = {"token": {"Authorization": f"Bearer {secret}"}, "revoked": {"Authorization": f"Bearer {revoked_secret}"},
               "scim": {"Authorization": f"Bearer {scim_secret}"}}
    return clients, ids, headers


def outcome(response) -> object:
    if response.status_code in (301, 302, 303) and "/login" in response.headers.get("Location", ""):
        return L
    if response.status_code < 400:
        return OK
    return response.status_code


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_route_for_every_persona(world, endpoint):
    clients, ids, headers = world
    method, url, expected = MATRIX[endpoint]
    url = url.format(**ids)
    is_api = url.startswith(("/api/", "/scim/"))
    personas = WEB + ("token", "revoked", "scim")
    got, want = {}, {}
    for persona in personas:
        client = clients[persona]
        if persona in ("token", "revoked", "scim"):
            # Tokens only count on the API; on web pages the visitor is anonymous.
            want[persona] = expected.get(persona, expected.get("*")) if is_api else expected.get("anon", expected["*"])
        else:
            want[persona] = expected.get(persona, expected["*"])
        if method == "GET":
            response = client.get(url, headers=headers.get(persona, {}))
        else:
            token = csrf_token(client, "/login")
            response = client.post(url, data={"csrf_token": token}, headers=headers.get(persona, {}))
        got[persona] = outcome(response)
    assert got == want


def test_a_suspension_is_lifted_only_by_its_imposers_role_or_above(app, course, people):
    """A compliance admin's suspension stands against the person's line manager; a manager's can be
    lifted by another manager over the person, or by an admin."""
    by_admin = suspend_rights(people.admin, people.employee, None, "Under investigation by compliance", utcnow())
    by_manager = suspend_rights(people.manager, people.employee, None, "Posted without approval", utcnow())
    db.session.commit()
    clients = {}
    for name, person in [("mgr", people.manager), ("admin", people.admin)]:
        c = app.test_client()
        assert c.post("/login", data={"email": person.email, "password": PASSWORD,
                                      "csrf_token": csrf_token(c)}).status_code == 302
        clients[name] = c

    def lift(persona, suspension):
        c = clients[persona]
        page = c.get(f"/people/{people.employee.id}/rights").text
        shows_button = f'/suspensions/{suspension.id}/lift"' in page
        status = c.post(f"/suspensions/{suspension.id}/lift", data={"csrf_token": csrf_token(c, "/")}).status_code
        return shows_button, status

    assert lift("mgr", by_admin) == (False, 403)
    assert lift("mgr", by_manager) == (True, 302)
    assert lift("admin", by_admin) == (True, 302)

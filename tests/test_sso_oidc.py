"""Signing in with OpenID Connect, against a real provider on loopback (tests/oidc_provider.py).

Nothing of PostReady's is replaced: the app fetches the provider's discovery document and keys,
exchanges the code and checks the ID token over HTTP, as in production.
"""
import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from app.accounts.models import Role, User
from app.audit.models import AuditEvent
from app.extensions import db
from app.sso.models import SsoIdentity
from tests.conftest import another_app, csrf_token
from tests.oidc_provider import (
    CLIENT_ID,
    TIMEOUT,
    authorize,
    closed_port,
    provider_app,
    provider_under_a_path,
    provider_with_foreign_keys,
    replace_param,
    serve,
    set_claims,
    sign_in,
)

CONTACT = "the Compliance Office at extension 4040"


@pytest.fixture(scope="module")
def provider():
    with serve(provider_app()) as issuer:
        yield issuer


def app_using(issuer: str, database_url, tmp_path):
    """PostReady started with OIDC set (the test body keeps the `app` fixture's context, on the same database)."""
    return another_app(database_url, tmp_path, OIDC_ISSUER=issuer, OIDC_CLIENT_ID=CLIENT_ID,
                       OIDC_CLIENT_SECRET="test-client-secret", PUBLIC_BASE_URL="http://localhost",
                       SSO_CONTACT=CONTACT)


@pytest.fixture
def site(app, provider, database_url, tmp_path):
    return app_using(provider, database_url, tmp_path)


@pytest.fixture
def client(site):
    return site.test_client()


@pytest.fixture
def oidc(provider):
    return provider


def new_sub() -> str:
    return f"sub-{uuid.uuid4().hex}"


def events(action: str) -> list[dict]:
    return [json.loads(e.details) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


def signed_in(client) -> bool:
    return client.get("/rights").status_code == 200


def test_first_sign_in_links_by_email_and_later_ones_match_the_subject(site, client, people, oidc):
    sub = new_sub()
    set_claims(oidc, sub, email="Eli@Test-Health.example", email_verified=True, name="Eli E.")
    response = sign_in(client, oidc, sub)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Eli Employee" in client.get("/").text
    link = db.session.scalar(select(SsoIdentity).where(SsoIdentity.subject == sub))
    assert (link.user_id, link.issuer) == (people.employee.id, oidc)
    assert events("sso.linked")[-1]["subject"] == sub

    set_claims(oidc, sub, email="eli.new-name@test-health.example", email_verified=True)  # changed at the provider
    again = site.test_client()
    assert sign_in(again, oidc, sub).status_code == 302
    assert "Eli Employee" in again.get("/").text
    assert len(events("sso.signed_in")) == 2
    assert db.session.scalar(select(SsoIdentity.id).where(SsoIdentity.user_id == people.employee.id)) == link.id


def test_the_provider_sign_out_address_is_kept_and_offered_at_sign_out(client, people, oidc):
    sub = new_sub()
    set_claims(oidc, sub, email=people.employee.email)
    sign_in(client, oidc, sub)
    with client.session_transaction() as session:
        logout = session["sso"]["logout"]
    parts = urlsplit(logout)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{oidc}/oauth2/end_session"
    assert query["post_logout_redirect_uri"] == ["http://localhost/login"]
    assert query["id_token_hint"][0].count(".") == 2  # the ID token (a JWS) the provider issued
    page = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert "Sign out of the hospital account too" in page.text
    assert requests.get(logout, timeout=TIMEOUT).status_code == 200  # the provider takes it
    assert not signed_in(client)


def test_next_is_kept_across_the_trip_and_never_leaves_the_site(client, people, oidc):
    sub = new_sub()
    set_claims(oidc, sub, email=people.employee.email)
    assert sign_in(client, oidc, sub, path="/login/sso?next=/rights").headers["Location"] == "/rights"
    assert sign_in(client, oidc, sub, path="/login/sso?next=//evil.example/").headers["Location"] == "/"


def test_someone_who_matches_nobody_is_refused_with_whom_to_contact(client, people, oidc):
    sub = new_sub()
    set_claims(oidc, sub, email="stranger@elsewhere.example", email_verified=True)
    response = sign_in(client, oidc, sub)
    assert response.status_code == 403
    assert "not set up in PostReady yet" in response.text and CONTACT in response.text
    assert response.mimetype == "text/html"  # a page, not its source shown as text
    assert events("sso.refused")[-1]["why"] == "unknown"
    assert not signed_in(client)


def test_an_unverified_email_matches_nobody(client, people, oidc):
    sub = new_sub()
    set_claims(oidc, sub, email=people.employee.email, email_verified=False)
    assert sign_in(client, oidc, sub).status_code == 403
    assert db.session.scalar(select(SsoIdentity).where(SsoIdentity.subject == sub)) is None


def test_a_deactivated_person_is_refused(client, people, oidc):
    sub = new_sub()
    set_claims(oidc, sub, email=people.deactivated.email)
    response = sign_in(client, oidc, sub)
    assert response.status_code == 403 and "account is closed" in response.text
    assert not signed_in(client)


def _failed(response, status: int, reason: str, client) -> dict:
    assert response.status_code == status
    assert "Sign-in did not work" in response.text and "Traceback" not in response.text
    assert not signed_in(client)
    event = events("sso.failed")[-1]
    assert event["why"] == reason and event["protocol"] == "oidc"
    return event


@pytest.mark.parametrize("state", ["forged-state", None])
def test_a_callback_with_a_wrong_or_missing_state_signs_nobody_in(client, people, oidc, state):
    sub = new_sub()
    set_claims(oidc, sub, email=people.employee.email)
    response = sign_in(client, oidc, sub, callback_tamper=lambda url: replace_param(url, "state", state))
    _failed(response, 400, "state", client)
    assert "start again" in response.text


def test_a_callback_carried_to_another_browser_signs_nobody_in(site, client, people, oidc):
    """Login CSRF: a code and state from someone else's trip do not match this browser's session."""
    sub = new_sub()
    set_claims(oidc, sub, email=people.admin.email)
    attacker = site.test_client()
    callback = authorize(attacker.get("/login/sso").headers["Location"], sub)
    _failed(client.get(callback), 400, "state", client)


def test_an_id_token_with_another_nonce_is_refused(client, people, oidc):
    sub = new_sub()
    set_claims(oidc, sub, email=people.employee.email)
    response = sign_in(client, oidc, sub, tamper=lambda url: replace_param(url, "nonce", "replayed-nonce"))
    event = _failed(response, 400, "id_token_invalid", client)
    assert "nonce" in event["detail"]


def test_an_id_token_signed_by_a_key_the_provider_does_not_publish_is_refused(people, database_url, tmp_path):
    with serve(provider_with_foreign_keys()) as issuer:
        client = app_using(issuer, database_url, tmp_path).test_client()
        sub = new_sub()
        set_claims(issuer, sub, email=people.employee.email)
        event = _failed(sign_in(client, issuer, sub), 400, "id_token_invalid", client)
    assert "BadSignature" in event["detail"] or "InvalidKeyId" in event["detail"]


def test_an_expired_id_token_is_refused(people, database_url, tmp_path):
    """A provider whose tokens are out of date when they arrive (as when its clock is far behind)."""
    with serve(provider_app(access_token_max_age=timedelta(minutes=-10))) as issuer:
        client = app_using(issuer, database_url, tmp_path).test_client()
        sub = new_sub()
        set_claims(issuer, sub, email=people.employee.email)
        event = _failed(sign_in(client, issuer, sub), 400, "id_token_invalid", client)
    assert "exp" in event["detail"]


def test_saying_no_at_the_provider_shows_a_clear_page(client, people, oidc):
    response = sign_in(client, oidc, deny=True)
    _failed(response, 403, "denied", client)
    assert "did not let you in" in response.text and CONTACT in response.text


def test_an_unreachable_provider_shows_a_clear_page(people, database_url, tmp_path):
    client = app_using(f"http://127.0.0.1:{closed_port()}", database_url, tmp_path).test_client()
    response = client.get("/login/sso")
    _failed(response, 502, "unreachable", client)
    assert "sign-in service right now" in response.text


def test_a_provider_naming_another_issuer_is_not_trusted(people, database_url, tmp_path):
    with serve(provider_under_a_path("/tenant")) as host:
        # its document says the issuer is the bare host
        client = app_using(host + "/tenant", database_url, tmp_path).test_client()
        _failed(client.get("/login/sso"), 502, "misconfigured", client)


def test_nobody_is_created_unless_asked_and_then_flagged_for_review(site, client, people, oidc):
    site.config["SSO_CREATE_PEOPLE"] = True
    sub = new_sub()
    set_claims(oidc, sub, email="new.hire@test-health.example", email_verified=True, name="Nia New")
    response = sign_in(client, oidc, sub)
    assert response.status_code == 302
    person = db.session.scalar(select(User).where(User.email == "new.hire@test-health.example"))
    assert (person.full_name, person.role, person.needs_review) == ("Nia New", Role.EMPLOYEE, True)
    assert events("sso.person_created")[-1]["email"] == "new.hire@test-health.example"
    assert signed_in(client)


def test_the_admin_group_grants_admin_and_leaving_it_takes_it_back(site, client, people, oidc):
    site.config["SSO_ADMIN_GROUP"] = "postready-admins"
    sub = new_sub()
    set_claims(oidc, sub, email=people.employee.email, groups=["nurses", "postready-admins"])
    response = sign_in(client, oidc, sub)
    assert response.headers["Location"] == "/organization"
    db.session.refresh(people.employee)
    assert (people.employee.role, people.employee.admin_from_group) == (Role.ADMIN, True)

    set_claims(oidc, sub, email=people.employee.email, groups=["nurses"])
    assert sign_in(site.test_client(), oidc, sub).headers["Location"] == "/"
    db.session.refresh(people.employee)
    assert (people.employee.role, people.employee.admin_from_group) == (Role.EMPLOYEE, False)
    assert [e["to"] for e in events("sso.admin_granted") + events("sso.admin_revoked")] == ["admin", "employee"]


def test_the_routes_are_not_there_without_an_issuer(app, people):
    client = app.test_client()  # the `app` fixture's: started without OIDC_ISSUER
    assert client.get("/login/sso").status_code == 404
    assert client.get("/login/sso/callback?code=x&state=y").status_code == 404


def test_a_site_without_oidc_never_loads_authlib():
    """Authlib and its HTTP client cost each web worker about 10 MB: only a site that signs in with OIDC pays."""
    code = ("import sys; from app import create_app; "
            "create_app({'TESTING': True, 'SECRET_KEY': 'k' * 40, 'SQLALCHEMY_DATABASE_URI': 'sqlite://'}); "
            "print('authlib' in sys.modules)")
    env = {name: value for name, value in os.environ.items() if not name.startswith("OIDC_")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env,
                            cwd=Path(__file__).resolve().parents[1])
    assert result.stdout.strip() == "False", result.stderr

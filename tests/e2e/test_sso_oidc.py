"""Signing in with the hospital's OpenID Connect provider, in Chromium.

A second PostReady server with OIDC set (like a deployment that turned it on), on its own freshly
migrated database, and a real provider (oidc-provider-mock) on loopback: the browser clicks the
sign-in button, answers the provider's form, comes back signed in, then signs out of both.
"""
import uuid
from urllib.parse import urlsplit

import pytest

from tests.e2e.helpers import assert_accessible
from tests.oidc_provider import CLIENT_ID, provider_app, serve, set_claims
from tests.tools import need_module, serving

pytestmark = pytest.mark.e2e
expect = need_module("playwright.sync_api", "playwright").expect

BUTTON = "Sign in with your hospital account"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture
def oidc_site(database_url, tmp_path):
    """PostReady with OIDC on, served on loopback, and its provider. Yields (base URL, provider, person's email)."""
    from app import create_app
    from app.extensions import db
    from tests.factories import make_user

    with serve(provider_app()) as provider:
        app = create_app({
            "SECRET_KEY": "e2e-oidc-secret-key-not-for-production", "SQLALCHEMY_DATABASE_URI": database_url,
            "SESSION_COOKIE_SECURE": False, "RATELIMIT_STORAGE_URI": "memory://", "MAIL_BACKEND": "console",
            "OIDC_ISSUER": provider, "OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": "e2e-client-secret",
        })
        with app.app_context():
            email = make_user("Rosa Registered", email="rosa@test-health.example").email
            db.session.commit()
        with serving(app) as base_url:
            app.config["PUBLIC_BASE_URL"] = base_url  # the redirect URI the provider sends the browser back to
            try:
                yield base_url, provider, email
            finally:
                with app.app_context():
                    db.engine.dispose()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    context.set_default_timeout(15_000)
    # The provider's pages link a stylesheet on a CDN: the browser stays on this machine.
    context.route(lambda url: urlsplit(url).hostname not in LOOPBACK, lambda route: route.abort())
    yield context.new_page()
    context.close()


def test_sign_in_and_out_through_the_hospital_provider(oidc_site, page):
    base_url, provider, email = oidc_site
    sub = f"rosa-{uuid.uuid4().hex[:8]}"
    set_claims(provider, sub, email=email, email_verified=True, name="Rosa R.")

    page.goto(base_url + "/login")
    page.get_by_role("link", name=BUTTON).click()
    page.wait_for_url(provider + "/oauth2/authorize*")
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(base_url + "/")
    expect(page.locator("body")).to_contain_text("Hello, Rosa Registered")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are signed out of PostReady")
    page.get_by_role("link", name="Sign out of the hospital account too").click()
    page.wait_for_url(provider + "/oauth2/end_session*")
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(base_url + "/login")  # the provider sends the browser back to PostReady's sign-in
    expect(page.get_by_role("link", name=BUTTON)).to_be_visible()


def test_saying_no_at_the_provider_ends_on_a_clear_page(oidc_site, page):
    base_url, provider, _email = oidc_site
    page.goto(base_url + "/login")
    page.get_by_role("link", name=BUTTON).click()
    page.wait_for_url(provider + "/oauth2/authorize*")
    page.get_by_role("button", name="Deny").click()
    page.wait_for_url(base_url + "/login/sso/callback*")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in did not work")
    expect(page.locator("body")).to_contain_text("did not let you in")
    assert_accessible(page, "the failed sign-in page")

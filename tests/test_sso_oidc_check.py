"""`postready sso check` against a real OpenID Connect provider on loopback (tests/oidc_provider.py)."""
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from app.sso.oidc_check import clock_skew
from tests.oidc_provider import CLIENT_ID, closed_port, provider_app, provider_under_a_path, serve


@pytest.fixture(scope="module")
def provider():
    with serve(provider_app()) as issuer:
        yield issuer


def configure(app, issuer: str) -> None:
    app.config.update(OIDC_ISSUER=issuer, OIDC_CLIENT_ID=CLIENT_ID, OIDC_CLIENT_SECRET="test-client-secret",
                      PUBLIC_BASE_URL="https://postready.test-health.example")


def test_a_working_provider_passes(app, cli, provider):
    configure(app, provider)
    result = cli("sso", "check")
    assert result.exit_code == 0, result.output
    assert f"issuer: {provider}" in result.output and f"client id: {CLIENT_ID}" in result.output
    assert "scopes: openid email profile" in result.output
    assert "https://postready.test-health.example/login/sso/callback" in result.output
    assert "OK: the issuer matches OIDC_ISSUER" in result.output
    assert "signing key(s)" in result.output
    # this provider does not announce PKCE: worth a warning, not a failure
    assert "WARNING: the provider does not say it supports PKCE with S256" in result.output
    assert "SAML:\n  not configured" in result.output


def test_an_issuer_that_names_another_issuer_fails(app, cli):
    with serve(provider_under_a_path("/tenant")) as host:
        configure(app, host + "/tenant")
        result = cli("sso", "check")
    assert result.exit_code == 1
    assert f"ERROR: the provider says its issuer is '{host}', but OIDC_ISSUER is '{host}/tenant'" in result.output


def test_a_wrong_issuer_address_fails(app, cli, provider):
    configure(app, provider + "/no-such-tenant")
    result = cli("sso", "check")
    assert result.exit_code == 1
    assert "answered HTTP 404, not the document. Check the address" in result.output


def test_an_unreachable_issuer_fails(app, cli):
    configure(app, f"http://127.0.0.1:{closed_port()}")
    result = cli("sso", "check")
    assert result.exit_code == 1 and "ERROR: cannot reach the discovery document" in result.output


def test_a_missing_client_id_fails(app, cli, provider):
    configure(app, provider)
    app.config["OIDC_CLIENT_ID"] = None
    result = cli("sso", "check")
    assert result.exit_code == 1 and "OIDC_CLIENT_ID is not set" in result.output


def test_nothing_configured_is_not_an_error(app, cli):
    result = cli("sso", "check")
    assert result.exit_code == 0
    assert "OpenID Connect:\n  not configured" in result.output and "SAML:\n  not configured" in result.output


def test_clock_skew_is_reported_past_a_minute():
    now = datetime(2026, 12, 7, 12, 0, 0, tzinfo=UTC)
    assert clock_skew(format_datetime(now, usegmt=True), now) is None
    assert clock_skew(None, now) is None and clock_skew("not a date", now) is None
    ninety = clock_skew("Mon, 07 Dec 2026 12:01:30 GMT", now)
    assert ninety.level == "warning" and "90 seconds" in ninety.text
    assert clock_skew("Mon, 07 Dec 2026 11:55:00 GMT", now).level == "error"

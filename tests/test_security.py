"""Security: throttling, headers, cookies, errors, and the bad inputs an attacker tries."""
import uuid

import pytest

from tests.conftest import another_app, csrf_token
from tests.factories import PASSWORD
from tests.tools import need_service


def failed_login(client, email="eli@test-health.example", address="127.0.0.1"):
    if not hasattr(client, "login_token"):
        client.login_token = csrf_token(client)
    return client.post("/login", data={"email": email, "password": "not the password",
                                       "csrf_token": client.login_token}, environ_base={"REMOTE_ADDR": address})


def sign_in(client, user, address):
    return client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)},
                       environ_base={"REMOTE_ADDR": address})


def test_an_account_is_throttled_from_the_address_that_fails_not_from_elsewhere(app, client, people):
    statuses = [failed_login(client, address="203.0.113.9").status_code for _ in range(6)]
    assert statuses == [400] * 5 + [429]
    # Even the right password waits, from that address...
    refused = sign_in(client, people.employee, "203.0.113.9")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    # ...but the attacker there has not locked Eli out: from Eli's own address the sign-in works.
    assert sign_in(app.test_client(), people.employee, "198.51.100.7").status_code == 302


def test_successful_logins_do_not_use_up_the_allowance(client, people, login):
    for _ in range(12):
        login(people.employee)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_rate_limit_headers_only_where_a_limit_applies(app, client, people):
    """Headers and failed-only deductions where a limit applies, nothing elsewhere."""
    app.config["VERIFY_RATE_LIMIT"] = "2 per minute"
    limited = client.get("/verify/" + "C" * 27)
    assert limited.status_code == 404 and limited.headers["X-RateLimit-Limit"] == "2"
    assert limited.headers["X-RateLimit-Remaining"] == "1"
    client.get("/verify/" + "C" * 27)
    refused = client.get("/verify/" + "C" * 27)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert client.get("/api/v1/openapi.json").headers["X-RateLimit-Limit"] == "600"  # per token (API_RATE_LIMIT)
    for path in ("/login", "/static/css/app.css", "/nope"):
        assert not [h for h in client.get(path).headers.keys() if h.startswith(("X-RateLimit", "Retry-After"))]


def test_a_default_limit_applies_to_every_view(database_url, tmp_path, people):
    """RATELIMIT_DEFAULT (Flask-Limiter's own setting) limits every view that has no limit of its own."""
    from app.extensions import limiter

    try:
        limited = another_app(database_url, tmp_path, RATELIMIT_DEFAULT="2 per minute").test_client()
        assert [limited.get("/login").status_code for _ in range(5)] == [200, 200, 429, 429, 429]
    finally:
        limiter.limit_manager.set_default_limits([])  # the limiter is one object for every app: later apps share it


def test_the_app_starts_with_rate_limiting_switched_off(database_url, tmp_path, people):
    """RATELIMIT_ENABLED=False (e.g. behind a proxy that limits): nothing is throttled."""
    from app.extensions import limiter

    try:
        off = another_app(database_url, tmp_path, RATELIMIT_ENABLED=False)
        statuses = [failed_login(off.test_client()).status_code for _ in range(11)]
    finally:
        limiter.enabled = True  # the limiter is one object for every app: later apps default to it
    assert statuses == [400] * 11  # never throttled


def test_an_address_capped_for_spraying_still_lets_its_regular_people_in(app, people):
    """Password spraying from one address stops at the cap; people who have signed in from that
    address lately (a hospital behind one NAT address) are not held back by it."""
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "20 per hour"
    nat = "192.0.2.50"
    assert sign_in(app.test_client(), people.manager, nat).status_code == 302
    attacker = app.test_client()
    statuses = [failed_login(attacker, f"nobody{i}@test-health.example", nat).status_code for i in range(21)]
    assert statuses == [400] * 20 + [429]
    assert sign_in(app.test_client(), people.manager, nat).status_code == 302  # known here: not held back
    assert sign_in(app.test_client(), people.employee, nat).status_code == 429  # never signed in here: waits


def test_101_failures_across_two_workers_are_throttled_per_address(database_url, tmp_path, people):
    """Two app instances (as two gunicorn workers) share the limit through Redis."""
    need_service("Redis", "127.0.0.1", 6379, "redis-server")
    prefix = f"postready-test-{uuid.uuid4().hex}"
    workers = [another_app(database_url, tmp_path, RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379",
                           RATELIMIT_KEY_PREFIX=prefix) for _ in range(2)]
    clients = [w.test_client() for w in workers]
    statuses = []
    for i in range(101):
        c = clients[i % 2]
        # A different account each time: only the per-address limit can stop this.
        statuses.append(failed_login(c, f"nobody{i}@test-health.example").status_code)
    assert statuses[:100] == [400] * 100
    assert statuses[100] == 429


def test_security_headers_on_every_response(app, client, people):
    @app.get("/explode-for-headers-test")
    def explode():
        raise RuntimeError("an unhandled error still gets the headers")

    for path in ["/login", "/verify/unknown-code-aaaaaaaaaaaaaaaa", "/static/css/app.css", "/api/v1/openapi.json",
                 "/nope", "/explode-for-headers-test"]:
        headers = client.get(path).headers
        assert len(headers.getlist("Content-Security-Policy")) == 1
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Strict-Transport-Security"].startswith("max-age=")


def test_nothing_private_is_kept_in_caches_and_public_files_keep_their_own_rules(client, course, people, login):
    assert client.get("/login").headers["Cache-Control"] == "no-store"  # HTML: may show personal data
    assert client.get("/nope").headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/people/x@y.z/posting-rights").headers["Cache-Control"] == "no-store"
    login(people.admin)
    for path in ("/organization.csv", "/reports/audit.pdf"):
        response = client.get(path)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store", path
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")
    assert client.get("/api/v1/openapi.json").headers.get("Cache-Control") != "no-store"
    assert client.get("/certificates/public-key.pem").headers.get("Cache-Control") != "no-store"


def test_only_configured_hosts_are_answered(database_url, tmp_path, people):
    """A forged Host header must never make the site build links to another site."""
    app = another_app(database_url, tmp_path, SERVER_NAME=None, PUBLIC_BASE_URL="https://postready.example.org")
    client = app.test_client()
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    answered = client.get("/", headers={"Host": "postready.example.org"})
    assert answered.status_code == 302 and "evil" not in answered.headers["Location"]
    pinned = another_app(database_url, tmp_path, SERVER_NAME=None, TRUSTED_HOSTS=["a.example", "b.example"])
    assert pinned.test_client().get("/login", headers={"Host": "b.example"}).status_code == 200
    assert pinned.test_client().get("/login", headers={"Host": "127.0.0.1"}).status_code == 400


def test_debug_responses_leave_out_hsts(database_url, tmp_path, people):
    """HSTS on a developer's http://localhost would pin the browser to https for a year."""
    debug = another_app(database_url, tmp_path, DEBUG=True).test_client()
    headers = debug.get("/login").headers
    assert "Strict-Transport-Security" not in headers and headers["X-Frame-Options"] == "DENY"


def test_no_inline_script_or_style_in_pages(client, course, people, login):
    login(people.admin)
    for path in ["/", "/people", "/organization", "/api-tokens", "/rights"]:
        html = client.get(path).text
        assert "<script>" not in html and " style=" not in html and "onclick" not in html.lower()


def test_session_cookie_flags(database_url, tmp_path, people):
    app = another_app(database_url, tmp_path, SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    response = client.post("/login", data={"email": people.employee.email, "password": PASSWORD,
                                           "csrf_token": csrf_token(client)})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_errors_show_no_stack_trace_or_sql(app, client, people, login):
    @app.get("/explode-for-test")
    def explode():
        from sqlalchemy import text

        from app.extensions import db

        db.session.execute(text("SELECT * FROM no_such_table"))

    login(people.employee)
    response = client.get("/explode-for-test")
    assert response.status_code == 500
    assert "no_such_table" not in response.text and "Traceback" not in response.text
    assert "Something went wrong on our side" in response.text
    api = client.get("/api/v1/people/x/posting-rights")
    assert api.is_json and api.json["error"]["status"] == 401


@pytest.mark.parametrize("path", ["/nope", "/attempts/999999", "/certificates/999999", "/people/999999"])
def test_not_found_pages_are_clear(client, people, login, path):
    login(people.admin)
    response = client.get(path)
    assert response.status_code == 404 and "We could not find that page." in response.text


def test_form_with_foreign_csrf_token_is_refused(app, client, people, login):
    other = app.test_client()
    foreign = csrf_token(other)
    login(people.admin)
    response = client.post("/api-tokens", data={"name": "x", "csrf_token": foreign})
    assert response.status_code == 400 and "form expired" in response.text


def test_each_api_token_has_its_own_rate_limit(database_url, tmp_path, course, people):
    from app.api.services import create_token
    from app.extensions import db
    from app.timestamps import utcnow

    app = another_app(database_url, tmp_path, API_RATE_LIMIT="3 per minute")
    (_, first), (_, second) = (create_token(people.admin, name, utcnow()) for name in ("one", "two"))
    db.session.commit()
    client, path = app.test_client(), f"/api/v1/people/{people.employee.email}/posting-rights"
    statuses = [client.get(path, headers={"Authorization": f"Bearer {first}"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get(path, headers={"Authorization": f"Bearer {second}"}).status_code == 200

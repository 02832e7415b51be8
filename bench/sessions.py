"""Log in over HTTP the way a browser does: GET /login for the CSRF token, POST the form, keep the cookie."""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import requests

USER_AGENT = "postready-bench/1"  # the same on every request: Flask-Login ties the session to it
COOKIE = "postready_session"
CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


class LoginError(RuntimeError):
    pass


def _cookie(response: requests.Response) -> str | None:
    value = response.cookies.get(COOKIE)
    if value:
        return value
    match = re.search(COOKIE + r"=([^;]+)", response.headers.get("Set-Cookie", ""))
    return match.group(1) if match else None


def login(base_url: str, email: str, password: str) -> tuple[str, str]:
    """(session cookie value, CSRF token) for this person, after a real sign-in."""
    with requests.Session() as http:
        page = http.get(base_url + "/login", headers={"User-Agent": USER_AGENT}, timeout=60)
        match = CSRF_INPUT.search(page.text)
        cookie = _cookie(page)
        if not match or not cookie:
            raise LoginError(f"no CSRF token or cookie on the login page (HTTP {page.status_code})")
        csrf = match.group(1)
        answer = http.post(base_url + "/login", data={"email": email, "password": password, "csrf_token": csrf},
                           headers={"User-Agent": USER_AGENT, "Cookie": f"{COOKIE}={cookie}"},
                           allow_redirects=False, timeout=60)
        signed_in = _cookie(answer)
        if answer.status_code != 302 or not signed_in:
            raise LoginError(f"sign-in of {email} failed: HTTP {answer.status_code}")
        return signed_in, csrf


def login_many(base_url: str, emails: list[str], password: str, parallel: int = 8) -> dict[str, tuple[str, str]]:
    with ThreadPoolExecutor(parallel) as pool:
        results = pool.map(lambda e: (e, login(base_url, e, password)), emails)
        return dict(results)


def headers(cookie: str, form: bool = False) -> dict[str, str]:
    result = {"User-Agent": USER_AGENT, "Cookie": f"{COOKIE}={cookie}"}
    if form:
        result["Content-Type"] = "application/x-www-form-urlencoded"
    return result

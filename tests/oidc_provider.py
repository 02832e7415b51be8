"""A real OpenID Connect provider on loopback (oidc-provider-mock), and a browser's trip through it.

The provider is a Flask app of its own, served by Werkzeug in a thread. The test plays the browser:
the Flask test client for PostReady's pages, `requests` for the provider's (a POST to its
authorization form signs a subject in, or denies).
"""
import socket
from collections.abc import Callable
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import oidc_provider_mock
import requests
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from tests.tools import serving

CLIENT_ID = "postready-test"
TIMEOUT = 10


def serve(wsgi_app):
    """Serve a WSGI app on loopback in a thread; yields its base URL (its issuer, for a provider)."""
    return serving(wsgi_app, host="localhost")


def provider_app(**options):
    return oidc_provider_mock.app(**options)


def provider_with_foreign_keys():
    """A real provider that signs with its key but publishes another real provider's keys: every ID
    token it hands out is, to its relying parties, signed by a key that is not the provider's."""
    signer, other = provider_app(), provider_app()

    def wsgi(environ, start_response):
        return (other if environ.get("PATH_INFO") == "/jwks" else signer)(environ, start_response)

    return wsgi


def provider_under_a_path(prefix: str):
    """A provider served under a path whose discovery document names the bare host as its issuer
    (the document at <host><prefix>/.well-known/... says `issuer: <host>`)."""
    return DispatcherMiddleware(lambda environ, start: (start("404 Not Found", []), [b""])[1],
                                {prefix: provider_app()})


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def set_claims(provider: str, sub: str, **claims) -> None:
    """What the provider will say about this subject from now on."""
    response = requests.put(f"{provider}/users/{quote(sub, safe='')}", json=claims, timeout=TIMEOUT)
    assert response.status_code == 204, response.text


def replace_param(url: str, name: str, value: str | None) -> str:
    """The URL with one query parameter changed (None: removed), as a tampering browser would send it."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    if value is not None:
        query.append((name, value))
    return urlunsplit(parts._replace(query=urlencode(query)))


def authorize(location: str, sub: str | None = None, *, deny: bool = False) -> str:
    """Answer the provider's authorization form at `location`; returns where it sends the browser."""
    answer = requests.post(location, data={"action": "deny"} if deny else {"sub": sub}, allow_redirects=False,
                           timeout=TIMEOUT)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def sign_in(client, provider: str, sub: str | None = None, *, path: str = "/login/sso", deny: bool = False,
            tamper: Callable[[str], str] | None = None, callback_tamper: Callable[[str], str] | None = None):
    """The whole trip: PostReady sends the browser to the provider, the provider back; returns the
    callback's response."""
    start = client.get(path)
    assert start.status_code == 302, start.text
    location = start.headers["Location"]
    assert location.startswith(provider + "/"), location
    back = authorize(tamper(location) if tamper else location, sub, deny=deny)
    return client.get(callback_tamper(back) if callback_tamper else back)

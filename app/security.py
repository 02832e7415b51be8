"""HTTP security headers on every response."""
from flask import Flask

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",          # no inline script, ever
    "style-src 'self'",           # no inline styles either
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


EVERY_RESPONSE = (
    ("Content-Security-Policy", CSP),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def register(app: Flask) -> None:
    app.wsgi_app = SecurityHeaders(app, app.wsgi_app)


class SecurityHeaders:
    """WSGI middleware adding the headers as each response starts, to every response Flask sends
    (error pages too). An after_request hook added them through werkzeug's Headers, which checks
    each value anew on every response: 8.6 % of a certificate download's instructions
    (docs/benchmarks.md §19)."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self.wanted = {debug: [(name.lower(), (name, value)) for name, value in headers]
                       for debug, headers in ((True, EVERY_RESPONSE), (False, EVERY_RESPONSE + (HSTS,)))}

    def __call__(self, environ, start_response):
        def start_with_headers(status, headers, exc_info=None):
            present = {name.lower(): value for name, value in headers}  # one pass, not one scan per header
            added = [header for lower, header in self.wanted[self.app.debug] if lower not in present]
            if "cache-control" not in present and _is_html(present.get("content-type", "")):
                added.append(("Cache-Control", "no-store"))  # pages can show personal data: no shared caches
            return start_response(status, headers + added, exc_info)

        return self.wsgi_app(environ, start_with_headers)


def _is_html(content_type: str) -> bool:
    return content_type.partition(";")[0].strip().lower() == "text/html"

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
    with_hsts = EVERY_RESPONSE + (HSTS,)

    @app.after_request
    def security_headers(response):
        wanted = EVERY_RESPONSE if app.debug else with_hsts
        headers = response.headers
        present = {name.lower() for name in headers.keys()}  # one pass, not one scan per header
        headers.extend([(name, value) for name, value in wanted if name.lower() not in present])
        if response.mimetype == "text/html" and "cache-control" not in present:
            # Pages can show personal data: never keep them in shared caches.
            headers["Cache-Control"] = "no-store"
        return response

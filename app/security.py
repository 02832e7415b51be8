"""HTTP security headers on every response (error pages too: Flask runs after_request for them)."""
from flask import Flask, request

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
# The same for everyone and free of personal data: browsers and proxies may keep these.
PUBLIC_ENDPOINTS = {"static", "branding.brand_css", "branding.logo", "api.openapi", "certificates.public_key_pem",
                    "certificates.public_key_jwk", "api_docs.docs", "api_docs.asset"}


def register(app: Flask) -> None:
    @app.after_request
    def add_security_headers(response):
        for name, value in EVERY_RESPONSE + (() if app.debug else (HSTS,)):
            response.headers.setdefault(name, value)
        if "Cache-Control" not in response.headers and request.endpoint not in PUBLIC_ENDPOINTS:
            response.headers["Cache-Control"] = "no-store"  # pages, files and API answers can hold personal data
        return response

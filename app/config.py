"""Configuration from the environment, with safe defaults for development."""
import os
from urllib.parse import urlsplit

from app.paths import BUNDLED_COURSES_DIR
from app.sso.settings import sso_settings

INSECURE_DEV_KEY = "dev-only-insecure-secret-key"
CERTIFICATE_PDF_MODES = ("at-issue", "worker")
STAFF_SOURCES = ("csv", "scim")


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1"]


def trusted_hosts_for(public_base_url: str) -> list[str]:
    """The default TRUSTED_HOSTS: the host of PUBLIC_BASE_URL (any loopback name for a loopback one)."""
    host = urlsplit(public_base_url).hostname or ""
    return list(LOOPBACK_HOSTS) if host in LOOPBACK_HOSTS else [host]


def from_environment(instance_path: str) -> dict:
    """Read settings from POSTREADY_* / well-known environment variables."""
    env = os.environ
    default_db = "sqlite:///" + os.path.join(instance_path, "postready.sqlite3")
    return {
        "SECRET_KEY": env.get("SECRET_KEY", INSECURE_DEV_KEY),
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL", default_db),
        "ORG_NAME": env.get("ORG_NAME", "PostReady Demo Health"),
        "ORG_TIMEZONE": env.get("ORG_TIMEZONE", "UTC"),  # IANA name (America/Chicago) for every date shown
        "ORG_BRAND_COLOR": env.get("ORG_BRAND_COLOR", "#0b5cad"),  # buttons and links (white text must read on it)
        "ORG_LOGO_FILE": env.get("ORG_LOGO_FILE"),  # a PNG, SVG or JPEG shown in the page header
        "COURSES_DIR": env.get("COURSES_DIR", BUNDLED_COURSES_DIR),
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), default=not _bool(env.get("FLASK_DEBUG"))),
        "REDIS_URL": env.get("REDIS_URL"),
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL") or "memory://",
        # How many reverse proxies sit in front of the app (their X-Forwarded-For is trusted).
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        **({"API_RATE_LIMIT": env["API_RATE_LIMIT"]} if env.get("API_RATE_LIMIT") else {}),
        **({"SCIM_RATE_LIMIT": env["SCIM_RATE_LIMIT"]} if env.get("SCIM_RATE_LIMIT") else {}),
        # Who keeps the staff records: "csv" (the HR import and SCIM both may) or "scim" (the HR import
        # refuses rows for people SCIM manages; the identity provider is their source).
        "STAFF_SOURCE": env.get("STAFF_SOURCE", "csv").strip().lower(),
        # Absolute address of this site, used in certificate QR codes and emails.
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        # Host names this site answers to (Flask checks each request's Host header against them).
        **({"TRUSTED_HOSTS": [h.strip() for h in env["TRUSTED_HOSTS"].split(",") if h.strip()]}
           if env.get("TRUSTED_HOSTS") else {}),
        "CERTIFICATE_SIGNING_KEY": env.get("CERTIFICATE_SIGNING_KEY"),
        # When a certificate's PDF is rendered: "at-issue" by the request that issued it (right after
        # its commit), or "worker" by `postready certificates render-pending --watch` running beside
        # the web server, which keeps the render's CPU and memory out of the web workers.
        "CERTIFICATE_PDFS": env.get("CERTIFICATE_PDFS", "at-issue"),
        "REFRESHER_LEAD_DAYS": int(env.get("REFRESHER_LEAD_DAYS", "30")),
        "ONBOARDING_DUE_DAYS": int(env.get("ONBOARDING_DUE_DAYS", "30")),
        "ONBOARDING_CERTIFICATIONS": [s for s in env.get("ONBOARDING_CERTIFICATIONS", "core").split(",") if s],
        "MATERIAL_CHANGE_GRACE_DAYS": int(env.get("MATERIAL_CHANGE_GRACE_DAYS", "30")),
        "REMINDER_DUE_SOON_DAYS": int(env.get("REMINDER_DUE_SOON_DAYS", "7")),
        # Mail: "console" prints messages (development); "smtp" sends them.
        "MAIL_BACKEND": env.get("MAIL_BACKEND", "console"),
        "MAIL_SERVER": env.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
        "MAIL_USE_SSL": _bool(env.get("MAIL_USE_SSL")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD"),
        "MAIL_FROM": env.get("MAIL_FROM", "PostReady <postready@localhost>"),
        # Webhooks: only to public addresses over HTTPS unless this is on (tests, tools on the hospital's network).
        "WEBHOOK_ALLOW_PRIVATE": _bool(env.get("WEBHOOK_ALLOW_PRIVATE")),
        # The key that seals endpoints' signing secrets (a Fernet key); unset: one made in the instance folder.
        "WEBHOOK_SECRETS_KEY": env.get("WEBHOOK_SECRETS_KEY"),
        "WEBHOOK_TIMEOUT": float(env.get("WEBHOOK_TIMEOUT", "10")),  # seconds for one delivery attempt
        "WEBHOOK_SWEEP_SECONDS": int(env.get("WEBHOOK_SWEEP_SECONDS", "60")),  # how often time-based changes are sought
        # The post checker's service (`postready post-checks serve`); unset: checks run in the web process.
        "POST_CHECK_URL": env.get("POST_CHECK_URL"),
        "DEBUG": _bool(env.get("FLASK_DEBUG")),
        **({"DB_POOL_SIZE": int(env["DB_POOL_SIZE"])} if env.get("DB_POOL_SIZE") else {}),
        **sso_settings(instance_path),
    }


DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "DB_POOL_SIZE": 5,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "postready_session",
    "REMEMBER_COOKIE_DURATION": 0,
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,  # one working shift
    "WTF_CSRF_TIME_LIMIT": None,  # a form's token lasts as long as the session it belongs to
    "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
    "TESTING": False,
    "RATELIMIT_HEADERS_ENABLED": True,
    "VERIFY_RATE_LIMIT": "60 per minute",
    # Failed sign-ins allowed (only failures count; app/accounts/throttle.py): per account from one
    # address, with growing waits; per address, for the accounts failing from it.
    "LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS": "5 per minute; 10 per 15 minutes; 20 per hour; 50 per day",
    "LOGIN_LIMIT_PER_ADDRESS": "100 per hour",
    "API_RATE_LIMIT": "600 per minute",  # per API token
    "SCIM_RATE_LIMIT": "1200 per minute",  # per SCIM token: a first sync sends a few requests per person
}

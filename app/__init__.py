"""PostReady: HIPAA-safe social media training, certification and posting rights."""
import os
import secrets

from flask import Flask, redirect, request, url_for
from flask_login import current_user

from app import config, sqlite
from app.extensions import csrf, db, limiter, login_manager
from app.url_ids import DatabaseId


class ConfigurationError(RuntimeError):
    pass


def create_app(overrides: dict | None = None) -> Flask:
    # The instance folder holds the SQLite database and the signing key: INSTANCE_PATH, or Flask's default
    # (instance/ in a checkout; <prefix>/var/app-instance for an installed package).
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH") or None, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(config.DEFAULTS)
    app.config.update(config.from_environment(app.instance_path))
    app.config.update(overrides or {})
    if app.config.get("TRUSTED_HOSTS") is None:
        app.config["TRUSTED_HOSTS"] = config.trusted_hosts_for(app.config["PUBLIC_BASE_URL"])
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri not in ("sqlite://", "sqlite:///:memory:"):  # memory: no pool
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            # Threads per process share a pool; size it to the server's threads (DB_POOL_SIZE).
            "pool_size": int(app.config["DB_POOL_SIZE"]), "max_overflow": 10, "pool_timeout": 60,
            # A network server can drop a pooled connection; a SQLite file cannot, so skip the ping.
            "pool_pre_ping": not uri.startswith("sqlite"),
        }
    _check_secret_key(app)
    if app.config["CERTIFICATE_PDFS"] not in config.CERTIFICATE_PDF_MODES:
        raise ConfigurationError(f"CERTIFICATE_PDFS must be one of {', '.join(config.CERTIFICATE_PDF_MODES)}; "
                                 f"it is {app.config['CERTIFICATE_PDFS']!r}.")
    if app.config.get("STAFF_SOURCE", "csv") not in config.STAFF_SOURCES:
        raise ConfigurationError(f"STAFF_SOURCE must be one of {', '.join(config.STAFF_SOURCES)}; "
                                 f"it is {app.config['STAFF_SOURCE']!r}.")
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"], x_proto=1)

    from app import models  # noqa: F401  (every table in the metadata)
    from app.audit import services as _audit  # noqa: F401  (chains events at commit)

    app.url_map.converters["int"] = DatabaseId  # before any route is added: every <int:id> is in range
    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    if app.config["RATELIMIT_STORAGE_URI"].startswith("memory://") and not (app.debug or app.testing):
        app.logger.warning("Rate limits and sign-in throttling are kept per process: with several workers each "
                           "counts alone. Set REDIS_URL so they hold across workers (see `postready doctor`).")
    login_manager.init_app(app)
    _configure_login(app)
    _register_blueprints(app)
    _register_request_hooks(app)

    from app import errors, security
    from app.cli import register_commands

    errors.register(app)
    security.register(app)
    register_commands(app)
    return app


def _check_secret_key(app: Flask) -> None:
    """Outside debug and tests, refuse to run with a missing or known key."""
    key = app.config.get("SECRET_KEY")
    if key and key != config.INSECURE_DEV_KEY:
        return
    if app.config.get("DEBUG") or app.config.get("TESTING"):
        return
    if app.config.get("CLI_MODE"):
        # CLI commands do not sign cookies; `postready demo` installs a real key before serving.
        app.config["SECRET_KEY"] = secrets.token_urlsafe(32)
        app.config["SECRET_KEY_EPHEMERAL"] = True
        return
    raise ConfigurationError(
        "SECRET_KEY is not set. Set it to a long random value, e.g. "
        "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(32))')"
    )


def _configure_login(app: Flask) -> None:
    from app.accounts.models import User

    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_id: str):
        user_id, _, token = session_id.partition(":")
        if not user_id.isdigit() or not token:
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.active or not secrets.compare_digest(user.session_token, token):
            return None  # logged out elsewhere, password changed, or deactivated
        return user


def _register_blueprints(app: Flask) -> None:
    from app.branding import init_branding
    from app.localtime import init_localtime

    init_branding(app)
    init_localtime(app)
    from app.accounts.invitation_views import bp as invitations_bp
    from app.accounts.views import bp as accounts_bp
    from app.api.docs import bp as api_docs_bp
    from app.api.token_views import admin_bp as api_tokens_bp
    from app.api.views import bp as api_bp
    from app.assignments.views import bp as requirements_bp
    from app.certificates.views import bp as certificates_bp
    from app.courses.views import bp as courses_bp
    from app.policy.views import bp as policy_bp
    from app.postcheck.views import bp as post_checks_bp
    from app.quizzes.views import bp as quizzes_bp
    from app.reports.views import bp as reports_bp
    from app.rights.views import bp as rights_bp
    from app.scim.views import bp as scim_bp
    from app.sso.oidc_views import bp as sso_oidc_bp
    from app.sso.saml_views import bp as sso_saml_bp
    from app.staff.views import bp as staff_bp
    from app.webhooks.views import bp as webhooks_bp

    for blueprint in (accounts_bp, invitations_bp, courses_bp, policy_bp, quizzes_bp, certificates_bp, rights_bp,
                      reports_bp, staff_bp, requirements_bp, api_tokens_bp, api_bp, api_docs_bp, sso_oidc_bp,
                      sso_saml_bp, scim_bp, webhooks_bp, post_checks_bp):
        app.register_blueprint(blueprint)
    csrf.exempt(api_bp)  # bearer tokens only, never cookies: nothing for CSRF to forge
    csrf.exempt(scim_bp)  # the same


# The password change, signing out, static files, and the holder's certificate link (which checks
# its holder's sign-in itself).
PASSWORD_CHANGE_EXEMPT = {"accounts.change_password", "accounts.logout", "static", "certificates.download_by_link"}


def _register_request_hooks(app: Flask) -> None:
    @app.before_request
    def declare_write_intent():  # SQLite: which requests take the write lock up front (app.sqlite)
        sqlite.write_intent.set(sqlite.request_may_write(request.method, app.view_functions.get(request.endpoint)))

    @app.teardown_request
    def reset_write_intent(_exc):
        sqlite.write_intent.set(True)

    @app.before_request
    def require_password_change():
        if request.blueprint in ("api", "scim") or request.endpoint in PASSWORD_CHANGE_EXEMPT:
            return None  # the APIs never look at cookie sessions; the rest need no user loaded
        if current_user.is_authenticated and current_user.must_change_password:
            return redirect(url_for("accounts.change_password"))
        return None

    @app.context_processor
    def inject_helpers():
        from app import permissions

        return {"permissions": permissions, "org_name": app.config["ORG_NAME"]}

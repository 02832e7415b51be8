"""`postready doctor`: is this deployment set up safely? Each check says what is wrong and how to fix it."""
import os
import smtplib
import stat
import sys
from dataclasses import dataclass
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import with_appcontext

from app.config import INSECURE_DEV_KEY, LOOPBACK_HOSTS


@dataclass(frozen=True)
class Finding:
    level: str  # "ok", "warning" or "error"
    what: str
    fix: str = ""


def _settings(config, key_file: str | None) -> list[Finding]:
    found = []
    key = config.get("SECRET_KEY") or ""
    if config.get("SECRET_KEY_EPHEMERAL") or key in ("", INSECURE_DEV_KEY) or len(key) < 32:
        found.append(Finding("error", "SECRET_KEY is missing, the development default or too short",
                             "set SECRET_KEY to a random value of 32 characters or more"))
    else:
        found.append(Finding("ok", "SECRET_KEY is set"))
    public = urlsplit(config["PUBLIC_BASE_URL"])
    if public.scheme != "https" or public.hostname in LOOPBACK_HOSTS:
        found.append(Finding("error", f"PUBLIC_BASE_URL is {config['PUBLIC_BASE_URL']}: certificate QR codes and "
                             "emails would point there", "set PUBLIC_BASE_URL to the site's https:// address"))
    if not config.get("SESSION_COOKIE_SECURE"):
        found.append(Finding("error", "the session cookie is sent over plain HTTP too",
                             "unset SESSION_COOKIE_SECURE=0 (and FLASK_DEBUG) in production"))
    hosts = config.get("TRUSTED_HOSTS") or []
    if not hosts or set(hosts) <= set(LOOPBACK_HOSTS):
        found.append(Finding("warning", f"TRUSTED_HOSTS is {hosts or 'unset'}",
                             "set TRUSTED_HOSTS (or PUBLIC_BASE_URL) to the host names the site answers to"))
    if config.get("TRUSTED_PROXIES", 0) == 0:
        found.append(Finding("warning", "TRUSTED_PROXIES is 0: behind a proxy every visitor shares its address, "
                             "and sign-in throttling counts them as one", "set TRUSTED_PROXIES=1 behind one proxy"))
    if key_file is not None:
        mode = stat.S_IMODE(os.stat(key_file).st_mode)
        if mode & 0o077:
            found.append(Finding("error", f"the signing key {key_file} can be read by others (mode {mode:o})",
                                 f"chmod 600 {key_file}"))
        else:
            found.append(Finding("ok", f"the signing key {key_file} is readable by its owner only"))
    return found


def _services(config) -> list[Finding]:
    found = []
    if not config.get("REDIS_URL"):
        found.append(Finding("error", "no REDIS_URL: rate limits and sign-in throttling are kept per process, so "
                             "with several workers each counts alone", "set REDIS_URL=redis://host:6379/0"))
    else:
        import redis

        try:
            redis.Redis.from_url(config["REDIS_URL"], socket_timeout=3).ping()
            found.append(Finding("ok", "Redis answers"))
        except redis.RedisError as exc:
            found.append(Finding("error", f"Redis at REDIS_URL does not answer ({exc})",
                                 "start Redis or fix REDIS_URL"))
    if config["MAIL_BACKEND"] != "smtp":
        found.append(Finding("error", "MAIL_BACKEND is not smtp: reminders are printed, not sent",
                             "set MAIL_BACKEND=smtp and the MAIL_* settings"))
    else:
        try:
            with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
                smtp.noop()
            found.append(Finding("ok", f"the SMTP server {config['MAIL_SERVER']}:{config['MAIL_PORT']} answers"))
        except (OSError, smtplib.SMTPException) as exc:
            found.append(Finding("error", f"the SMTP server {config['MAIL_SERVER']}:{config['MAIL_PORT']} does "
                                 f"not answer ({exc})", "check MAIL_SERVER and MAIL_PORT"))
    return found


def _application() -> list[Finding]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from app.extensions import db, migrations
    from app.paths import MIGRATIONS_DIR
    from app.pdf_render import render_pdf

    found = []
    heads = set(ScriptDirectory.from_config(migrations(current_app).migrate.get_config(MIGRATIONS_DIR)).get_heads())
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    if current != heads:
        found.append(Finding("error", f"the database is at migration {', '.join(current) or 'none'}, not the "
                             f"newest ({', '.join(heads)})", "run `postready db upgrade`"))
    else:
        found.append(Finding("ok", "the database schema is at the newest migration"))
    try:
        rendered = render_pdf("<p>PostReady</p>").startswith(b"%PDF")
        problem = "" if rendered else "the result is not a PDF"
    except Exception as exc:  # noqa: BLE001 - any failure here is the finding
        problem = f"{type(exc).__name__}: {exc}"
    found.append(Finding("error", f"PDF rendering fails ({problem})",
                         "install Pango (apt-get install libpango-1.0-0 libpangoft2-1.0-0)") if problem
                 else Finding("ok", "PDF rendering works"))
    return found


def run_checks() -> list[Finding]:
    from app.certificates.signing import KEY_FILE

    config = current_app.config
    key_file = None if config.get("CERTIFICATE_SIGNING_KEY") else os.path.join(current_app.instance_path, KEY_FILE)
    if key_file is not None and not os.path.exists(key_file):
        key_file = None  # created at first use, with mode 600
    return _settings(config, key_file) + _services(config) + _application()


@click.command("doctor")
@with_appcontext
def doctor():
    """Check this deployment's settings and services; exit 1 on any error."""
    findings = run_checks()
    for f in findings:
        click.echo(f"{f.level.upper():8}{f.what}" + (f"\n        fix: {f.fix}" if f.fix else ""))
    errors = sum(f.level == "error" for f in findings)
    click.echo(f"{errors} error(s), {sum(f.level == 'warning' for f in findings)} warning(s).")
    if errors:
        sys.exit(1)

"""The `postready` command line (also available as `flask --app wsgi ...`)."""
import os
import secrets
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from app.certificates.cli import certificates_cli
from app.extensions import db, migrations


def main() -> None:
    from app import create_app

    cli = FlaskGroup(create_app=lambda: create_app({"CLI_MODE": True}), help="PostReady administration.")
    cli.main(prog_name="postready")


class MigrationCommands(click.Group):
    """Flask-Migrate's commands, imported when one is asked for (see extensions.migrations)."""

    @staticmethod
    def _commands() -> click.Group:
        from flask_migrate.cli import db as flask_migrate_db

        return flask_migrate_db

    def list_commands(self, ctx):
        return self._commands().list_commands(ctx)

    def get_command(self, ctx, name):
        return self._commands().get_command(ctx, name)


@click.group("db", cls=MigrationCommands)
@click.option("-d", "--directory", default=None, help='Migration script directory (default is "migrations")')
@click.option("-x", "--x-arg", multiple=True, help="Additional arguments consumed by custom env.py scripts")
@with_appcontext
def migrations_cli(directory, x_arg):
    """Database migrations (Alembic, via Flask-Migrate)."""
    from flask import g

    migrations(current_app)
    g.directory, g.x_arg = directory, x_arg  # what Flask-Migrate's own `db` group sets


courses_cli = click.Group("courses", help="Check and load course content from files.")


def _read(directory: str | None):
    """Courses and the rights policy, with every problem in either."""
    from app.courses.content import read_courses
    from app.rights.policy import read_policy

    root = directory or current_app.config["COURSES_DIR"]
    courses, problems = read_courses(root)
    _, policy_problems = read_policy(root, {c.slug for course in courses for c in course.certifications})
    return courses, problems + policy_problems


def _read_or_exit(directory: str | None, why: str):
    """The courses, or every problem printed and exit 1."""
    courses, problems = _read(directory)
    if problems:
        for problem in problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(problems)} problem(s) found. {why}".rstrip(), err=True)
        sys.exit(1)
    return courses


@courses_cli.command("check")
@click.option("--dir", "directory", type=click.Path(), help="Courses folder (default: COURSES_DIR).")
@with_appcontext
def courses_check(directory):
    """Validate every course file; exit 1 on any problem."""
    courses = _read_or_exit(directory, "")
    for course in courses:
        questions = sum(len(m.questions) for m in course.modules)
        lessons = sum(len(m.lessons) for m in course.modules)
        click.echo(f"{course.slug} {course.version}: {len(course.modules)} modules, {lessons} lessons, "
                   f"{questions} questions, {len(course.certifications)} certifications: OK")


@courses_cli.command("sync")
@click.option("--dir", "directory", type=click.Path(), help="Courses folder (default: COURSES_DIR).")
@with_appcontext
def courses_sync(directory):
    """Load courses into the database; unchanged content is left as it is."""
    from app.courses.services import sync_courses

    courses = _read_or_exit(directory, "Nothing was loaded: fix the problems above first.")
    from app.assignments.services import assign_material_change
    from app.courses.models import CourseVersion
    from app.timestamps import utcnow

    results = sync_courses(courses)
    for r in results:
        state = "new version stored" if r.created else "unchanged"
        if r.created:
            version = db.session.get(CourseVersion, r.version_id)
            assigned = assign_material_change(version, utcnow())
            state += f" ({version.change_kind} change; {assigned} retake assignment(s))" if assigned else ""
        click.echo(f"{r.slug} {r.version_label}: {state}")
    db.session.commit()


@courses_cli.command("map")
@click.option("--dir", "directory", type=click.Path(), help="Courses folder (default: COURSES_DIR).")
@with_appcontext
def courses_map(directory):
    """Print a Markdown map of each course (topics, lessons, questions, sources)."""
    from app.courses.curriculum_map import render_map

    courses = _read_or_exit(directory, "")
    click.echo("\n".join(render_map(course) for course in courses), nl=False)


def _demo_secret_key() -> str:
    path = os.path.join(current_app.instance_path, "demo_secret_key")
    if not os.path.exists(path):
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as fh:
            fh.write(secrets.token_urlsafe(32))
    with open(path) as fh:
        return fh.read().strip()


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Set up the demo and exit.")
@with_appcontext
def demo(host, port, no_serve):
    """Migrate, load courses/, create a demo organisation and serve it."""
    from flask_migrate import upgrade

    from app.courses.services import sync_courses
    from app.demo import DEMO_PASSWORD, create_demo_organisation

    migrations(current_app)
    upgrade()
    sync_courses(_read_or_exit(None, "The demo needs valid course files."))
    people = create_demo_organisation()
    db.session.commit()
    click.echo(f"\nDemo organisation ready. Every demo login uses the password: {DEMO_PASSWORD}\n")
    for email, role in people:
        click.echo(f"  {role:<9} {email}")
    if no_serve:
        return
    app = current_app._get_current_object()
    if app.config.get("SECRET_KEY_EPHEMERAL"):
        app.config["SECRET_KEY"] = _demo_secret_key()
    app.config["SESSION_COOKIE_SECURE"] = False  # the demo serves plain HTTP on loopback
    click.echo(f"\nServing on http://{host}:{port}/  (Ctrl+C stops)\n")
    # Flask ignores app.run() inside a CLI command, so serve with Werkzeug directly.
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


tokens_cli = click.Group("tokens", help="API bearer tokens for other systems.")


@tokens_cli.command("create")
@click.argument("name")
@with_appcontext
def tokens_create(name):
    """Create a token; its secret is printed once."""
    from app.api.services import TokenError, create_token
    from app.timestamps import utcnow

    try:
        token, secret = create_token(None, name, utcnow())
    except TokenError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Token {token.id} “{token.name}” created. Its secret, shown only now:")
    click.echo(secret)


@tokens_cli.command("list")
@with_appcontext
def tokens_list():
    from app.api.services import all_tokens

    for t in all_tokens():
        state = "active" if t.active else f"revoked {t.revoked_at:%Y-%m-%d}"
        click.echo(f"{t.id:>4}  {t.prefix}…  {t.name}  ({state})")


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def tokens_revoke(token_id):
    from app.api.models import ApiToken
    from app.api.services import revoke_token
    from app.timestamps import utcnow

    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"No token with id {token_id}.")
    revoke_token(None, token, utcnow())
    db.session.commit()
    click.echo(f"Token {token_id} revoked.")


reminders_cli = click.Group("reminders", help="Email reminders (run daily from cron or a systemd timer).")


@reminders_cli.command("send")
@click.option("--now", "now_text", help="Pretend it is this moment (ISO 8601, UTC), e.g. for a dry rehearsal.")
@with_appcontext
def reminders_send(now_text):
    """Assign refreshers that are due, then send due-soon, overdue and expiring reminders and manager digests."""
    from datetime import datetime, timezone

    from app.timestamps import utcnow
    from app.reminders.services import send_reminders

    now = utcnow()
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError:
            raise click.BadParameter("use ISO 8601, e.g. 2026-12-01T08:00:00+00:00", param_hint="--now") from None
        now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    report = send_reminders(now)
    click.echo(f"{report.refreshers_assigned} refresher(s) assigned; {len(report.sent)} email(s) sent; "
               f"{report.skipped_already_sent} reminder(s) already sent today.")


staff_cli = click.Group("staff", help="Staff records from HR.")


@staff_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Show what would change and every problem; change nothing.")
@click.option("--as", "actor_email", help="Administrator recorded as doing the import (default: the first admin).")
@with_appcontext
def staff_import(file, dry_run, actor_email):
    """Import an HR CSV export: create, change, deactivate; all or nothing."""
    from sqlalchemy import select

    from app.accounts.models import Role, User
    from app.accounts.services import find_by_email
    from app.timestamps import utcnow
    from app.staff.csv_import import MAX_BYTES
    from app.staff.services import import_staff

    actor = find_by_email(actor_email) if actor_email else db.session.scalar(
        select(User).where(User.role == Role.ADMIN, User.active).order_by(User.id).limit(1))
    if actor is None:
        raise click.ClickException("No administrator to record the import as; create one or use --as.")
    with open(file, "rb") as fh:
        data = fh.read(MAX_BYTES + 1)
    outcome = import_staff(actor, data, utcnow(), dry_run=dry_run)
    plan = outcome.plan
    for label, group in (("create", plan.creates), ("change", plan.updates), ("deactivate", plan.deactivations),
                         ("reactivate", plan.reactivations)):
        for p in group:
            changes = ", ".join(f"{c.field}: {c.old!s} -> {c.new!s}" for c in p.changes)
            click.echo(f"{file}:{p.line}: {label} {p.email}" + (f" ({changes})" if changes else ""))
    for warning in plan.warnings:
        click.echo(f"{file}: warning: {warning}", err=True)
    for error in plan.errors:
        click.echo(f"{file}: {error}", err=True)
    click.echo(outcome.summary)
    if plan.errors:
        click.echo("Nothing was changed: fix the errors above and import again.", err=True)
        sys.exit(1)
    if outcome.applied:
        db.session.commit()


audit_cli = click.Group("audit", help="The tamper-evident audit trail.")


@audit_cli.command("verify")
@click.option("--checkpoint", "checkpoint_file", type=click.File("r"), help="A checkpoint from `audit checkpoint`.")
@with_appcontext
def audit_verify(checkpoint_file):
    """Walk the hash chain and report the first broken link; exit 1 if any."""
    import json

    from app.audit.services import check_against_checkpoint, verify_chain
    from app.certificates.services import signing_key

    result = verify_chain()
    if not result.ok:
        click.echo(f"BROKEN: {result.problem}. {result.count} event(s) before it are intact.", err=True)
        sys.exit(1)
    click.echo(f"OK: chain intact, {result.count} event(s), head {result.head_hash}.")
    if checkpoint_file is not None:
        problem = check_against_checkpoint(json.load(checkpoint_file), signing_key().public)
        if problem:
            click.echo(f"BROKEN against the checkpoint: {problem}.", err=True)
            sys.exit(1)
        click.echo("OK: everything up to the checkpoint is unchanged.")


@audit_cli.command("checkpoint")
@with_appcontext
def audit_checkpoint():
    """Print a signed statement of the chain head (keep it outside the database)."""
    import json

    from app.audit.services import checkpoint
    from app.certificates.services import signing_key

    click.echo(json.dumps(checkpoint(signing_key()), indent=2))


def register_commands(app) -> None:
    app.cli.add_command(migrations_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(staff_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(courses_cli)
    app.cli.add_command(demo)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(certificates_cli)

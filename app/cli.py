"""The `postready` command line (also available as `flask --app wsgi ...`)."""
import os
import secrets
import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from app.extensions import db


def main() -> None:
    from app import create_app

    cli = FlaskGroup(create_app=lambda: create_app({"CLI_MODE": True}), help="PostReady administration.")
    cli.main(prog_name="postready")


courses_cli = click.Group("courses", help="Check and load course content from files.")


def _read(directory: str | None):
    from app.courses.content import read_courses

    return read_courses(directory or current_app.config["COURSES_DIR"])


@courses_cli.command("check")
@click.option("--dir", "directory", type=click.Path(), help="Courses folder (default: COURSES_DIR).")
@with_appcontext
def courses_check(directory):
    """Validate every course file; exit 1 on any problem."""
    courses, problems = _read(directory)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s) found.", err=True)
        sys.exit(1)
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

    courses, problems = _read(directory)
    if problems:
        for problem in problems:
            click.echo(str(problem), err=True)
        click.echo("Nothing was loaded: fix the problems above first.", err=True)
        sys.exit(1)
    results = sync_courses(courses)
    db.session.commit()
    for r in results:
        state = "new version stored" if r.created else "unchanged"
        click.echo(f"{r.slug} {r.version_label}: {state}")


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

    upgrade()
    courses, problems = _read(None)
    if problems:
        for problem in problems:
            click.echo(str(problem), err=True)
        sys.exit(1)
    sync_courses(courses)
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
    app.run(host=host, port=port, debug=False, use_reloader=False)


def register_commands(app) -> None:
    app.cli.add_command(courses_cli)
    app.cli.add_command(demo)

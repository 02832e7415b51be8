"""`postready demo`: migrate, load the courses, create the demo organisation (app/demo.py) and serve it."""
import os
import secrets

import click
from flask import current_app
from flask.cli import ScriptInfo, with_appcontext

from app.config import LOOPBACK_HOSTS
from app.extensions import db, migrations


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
    """Migrate, load the courses, create a demo organisation and serve it."""
    from flask_migrate import upgrade

    from app.courses.cli import read_or_exit
    from app.courses.services import sync_courses
    from app.demo import DEMO_PASSWORD, create_demo_organisation

    if "PUBLIC_BASE_URL" not in os.environ and not no_serve:
        # before the demo's certificates are rendered: their QR codes open the address served
        current_app.config["PUBLIC_BASE_URL"] = f"http://{host}:{port}"
    migrations(current_app)
    upgrade()
    sync_courses(read_or_exit(None, "The demo needs valid course files."))
    from datetime import timedelta

    from app.policy.document import read_policy_document
    from app.policy.services import sync_policy
    from app.timestamps import utcnow

    # In force since before the demo's oldest history, so its certified people signed it on the way.
    sync_policy(read_policy_document(current_app.config["COURSES_DIR"])[0], utcnow() - timedelta(days=500))
    people = create_demo_organisation()
    db.session.commit()
    click.echo(f"\nDemo organisation ready. Every demo login uses the password: {DEMO_PASSWORD}\n")
    for email, role in people:
        click.echo(f"  {role:<9} {email}")
    if no_serve:
        return
    app = click.get_current_context().ensure_object(ScriptInfo).load_app()  # the app itself, to serve
    if app.config.get("SECRET_KEY_EPHEMERAL"):
        app.config["SECRET_KEY"] = _demo_secret_key()
    app.config["SESSION_COOKIE_SECURE"] = False  # the demo serves plain HTTP on loopback
    if "PUBLIC_BASE_URL" not in os.environ:  # QR codes and emails point at the address served
        app.config["PUBLIC_BASE_URL"] = f"http://{host}:{port}"
        if "TRUSTED_HOSTS" not in os.environ:
            app.config["TRUSTED_HOSTS"] = sorted({host, *LOOPBACK_HOSTS})
    click.echo(f"\nServing on http://{host}:{port}/  (Ctrl+C stops)\n")
    # Flask ignores app.run() inside a CLI command, so serve with Werkzeug directly.
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)

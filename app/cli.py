"""The `postready` command line (also available as `flask --app wsgi ...`).

Each domain's commands live in its package (`app/<domain>/cli.py`, the demo's in
`app/demo_cli.py`); this module holds the entry point, the `db` group and the wiring.
"""
import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from app.api.cli import tokens_cli
from app.audit.cli import audit_cli
from app.certificates.cli import certificates_cli
from app.courses.cli import courses_cli
from app.demo_cli import demo
from app.doctor import doctor
from app.extensions import migrations
from app.postcheck.cli import post_checks_cli
from app.reminders.cli import reminders_cli
from app.sso.cli import sso_cli
from app.staff.cli import staff_cli
from app.webhooks.cli import webhooks_cli


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
@click.option("-d", "--directory", default=None, help="Migration script directory (default: the bundled migrations)")
@click.option("-x", "--x-arg", multiple=True, help="Additional arguments consumed by custom env.py scripts")
@with_appcontext
def migrations_cli(directory, x_arg):
    """Database migrations (Alembic, via Flask-Migrate)."""
    from flask import g

    migrations(current_app)
    g.directory, g.x_arg = directory, x_arg  # what Flask-Migrate's own `db` group sets


def register_commands(app) -> None:
    for command in (migrations_cli, audit_cli, staff_cli, reminders_cli, courses_cli, demo, tokens_cli,
                    certificates_cli, doctor, sso_cli, webhooks_cli, post_checks_cli):
        app.cli.add_command(command)

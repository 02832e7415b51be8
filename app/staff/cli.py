"""`postready staff import FILE`: staff records from an HR system's CSV export."""
import sys

import click
from flask.cli import with_appcontext

from app.extensions import db

staff_cli = click.Group("staff", help="Staff records from HR.")


def _shown(value) -> str:
    """A stored or planned value for the terminal: "none" when empty (no manager, no platforms)."""
    return str(value) if value is not None and str(value) else "none"


@staff_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Show what would change and every problem; change nothing.")
@click.option("--as", "actor_email", help="Administrator recorded as doing the import (default: the first admin).")
@with_appcontext
def staff_import(file, dry_run, actor_email):
    """Import an HR CSV export: create, change, deactivate; all or nothing.

    A blank department, manager_email, hire_date or platforms keeps what PostReady has; (clear) empties it.
    platforms lists the social media a person posts on (for example "Instagram; Facebook"); each one
    becomes a certification they must earn.
    """
    from sqlalchemy import select

    from app.accounts.models import Role, User
    from app.accounts.services import find_by_email
    from app.permissions import can_manage_people
    from app.staff.csv_import import MAX_BYTES
    from app.staff.services import import_staff
    from app.timestamps import utcnow

    actor = find_by_email(actor_email) if actor_email else db.session.scalar(
        select(User).where(User.role == Role.ADMIN, User.active).order_by(User.id).limit(1))
    if actor is None and actor_email:
        raise click.ClickException(f"--as {actor_email}: nobody has that email address; give an administrator's.")
    if actor is None:
        raise click.ClickException("No administrator to record the import as; create one or use --as.")
    if not can_manage_people(actor):
        raise click.ClickException(f"--as {actor_email}: {actor.full_name} is not an active administrator; "
                                   "give an administrator's email address.")
    with open(file, "rb") as fh:
        data = fh.read(MAX_BYTES + 1)
    outcome = import_staff(actor, data, utcnow(), dry_run=dry_run)
    plan = outcome.plan
    for label, group in (("create", plan.creates), ("change", plan.updates), ("deactivate", plan.deactivations),
                         ("reactivate", plan.reactivations)):
        for p in group:
            changes = ", ".join(f"{c.field}: {_shown(c.old)} -> {_shown(c.new)}" for c in p.changes)
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
        from app.accounts.invitations import invite_new_people

        sent, failed = invite_new_people([p.email for p in plan.creates], actor, utcnow())
        if plan.creates:
            click.echo(f"{len(sent)} invitation(s) emailed to the people created.")
        for address in failed:
            click.echo(f"NOT SENT: invitation to {address!r} (resend it from their page in PostReady)", err=True)


@staff_cli.command("purge-uploads")
@with_appcontext
def purge_uploads():
    """Remove staff files kept from web dry runs whose time is up (uploading does this too)."""
    from app.staff.kept_uploads import discard
    from app.timestamps import utcnow

    removed = discard(None, utcnow())
    click.echo(f"Removed {removed} expired staff upload{'' if removed == 1 else 's'}.")

"""`postready reminders send`: run daily from cron or a systemd timer."""
import click
from flask.cli import with_appcontext

reminders_cli = click.Group("reminders", help="Email reminders (run daily from cron or a systemd timer).")


@reminders_cli.command("send")
@click.option("--now", "now_text", help="Pretend it is this moment (ISO 8601, UTC), e.g. for a dry rehearsal.")
@with_appcontext
def reminders_send(now_text):
    """Assign refreshers that are due, then send due-soon, overdue and expiring reminders and manager digests."""
    from app.reminders.services import send_reminders
    from app.timestamps import parse_moment, utcnow

    try:
        now = parse_moment(now_text) if now_text else utcnow()
    except ValueError:
        raise click.BadParameter("use ISO 8601, e.g. 2026-12-01T08:00:00+00:00", param_hint="--now") from None
    report = send_reminders(now)
    from app.certificates.notices import send_certificate_notices

    notices = send_certificate_notices(now=now)  # any "you earned it" email that could not go out at issue
    if notices:
        click.echo(f"{notices} certificate notice(s) sent that were still pending.")
    for address, kind, why in report.failed:
        click.echo(f"NOT SENT: {kind} to {address!r}: {why}", err=True)
    click.echo(f"{report.refreshers_assigned} refresher(s) assigned; {len(report.sent)} email(s) sent; "
               f"{len(report.failed)} failed (tried again on the next run); "
               f"{report.skipped_already_sent} reminder(s) already sent today.")
    if report.failed:
        raise SystemExit(1)

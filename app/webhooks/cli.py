"""`postready webhooks ...`: subscribe endpoints and run the delivery worker."""
import click
from flask.cli import with_appcontext

from app.extensions import db

webhooks_cli = click.Group("webhooks", help="Signed webhooks to social tools when rights or certificates change.")


def _endpoint(endpoint_id: int):
    from app.webhooks.models import WebhookEndpoint

    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.deleted_at is not None:
        raise click.ClickException(f"No webhook endpoint with id {endpoint_id} (see `postready webhooks list`).")
    return endpoint


def _run(action, *args):
    from app.webhooks.services import WebhookError

    try:
        result = action(None, *args)
    except WebhookError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    return result


@webhooks_cli.command("add")
@click.argument("url")
@click.option("--events", default="", help="Comma-separated event types (default: every type). "
                                           "posting_rights.granted, posting_rights.revoked, certificate.issued, "
                                           "certificate.revoked, certificate.expired, person.deactivated.")
@click.option("--description", default="", help="Which tool it is, shown in lists.")
@with_appcontext
def webhooks_add(url, events, description):
    """Subscribe an endpoint; its signing secret is printed once, on the last line."""
    from app.timestamps import utcnow
    from app.webhooks.services import add_endpoint, parse_event_types

    endpoint, secret = _run(lambda actor: add_endpoint(actor, url, description, parse_event_types(events), utcnow()))
    click.echo(f"Endpoint {endpoint.id} added: {endpoint.url} ({', '.join(endpoint.types) or 'every event'}). "
               "Its signing secret, shown only now:")
    click.echo(secret)


@webhooks_cli.command("list")
@with_appcontext
def webhooks_list():
    from app.webhooks.services import endpoints

    found = endpoints()
    for e in found:
        click.echo(f"{e.id:>4}  {e.state:<8}  {e.url}  [{', '.join(e.types) or 'every event'}]"
                   + (f"  {e.description}" if e.description else ""))
    if not found:
        click.echo("No webhook endpoints. Add one with `postready webhooks add URL`.")


@webhooks_cli.command("rotate")
@click.argument("endpoint_id", type=int)
@with_appcontext
def webhooks_rotate(endpoint_id):
    """A new signing secret (printed on the last line); the old one also signs for 24 hours."""
    from app.timestamps import utcnow
    from app.webhooks.services import rotate_secret

    secret = _run(rotate_secret, _endpoint(endpoint_id), utcnow())
    click.echo(f"Endpoint {endpoint_id}: new secret below; deliveries carry both signatures for 24 hours.")
    click.echo(secret)


def _state_command(name: str, service: str, done: str, help_text: str) -> None:
    """`postready webhooks pause|resume|delete ID`: the same look-up, service call and commit."""

    @webhooks_cli.command(name, help=help_text)
    @click.argument("endpoint_id", type=int)
    @with_appcontext
    def command(endpoint_id):
        from app.timestamps import utcnow
        from app.webhooks import services

        _run(getattr(services, service), _endpoint(endpoint_id), utcnow())
        click.echo(f"Endpoint {endpoint_id} {done}")


_state_command("pause", "pause", "paused.", "Hold deliveries (events wait, in order, until resumed).")
_state_command("resume", "resume", "resumed.", "Send again (also to an endpoint switched off after a day of failures).")
_state_command("delete", "delete", "deleted; its delivery log is kept.", "Stop sending to an endpoint; its log stays.")


@webhooks_cli.command("deliver")
@click.option("--watch", is_flag=True, help="Keep running: deliver as events arrive and sweep for expiries.")
@click.option("--interval", default=1.0, show_default=True, type=click.FloatRange(0.05, 60),
              help="Seconds between polls when nothing is due.")
@click.option("--batch", default=20, show_default=True, type=click.IntRange(1, 500),
              help="Deliveries claimed at a time.")
@click.option("--now", "now_text", help="Pretend it is this moment (ISO 8601, UTC), as if time had moved on: "
                                        "what lapses by then is announced, for real (subscribers receive it; the "
                                        "next run at the real time announces it granted again).")
@with_appcontext
def webhooks_deliver(watch, interval, batch, now_text):
    """Announce time-based changes and send every due delivery; several copies may run at once."""
    import signal

    from app.timestamps import parse_moment, utcnow
    from app.webhooks.delivery import run_worker

    clock = utcnow
    if now_text:
        try:
            offset = parse_moment(now_text) - utcnow()
        except ValueError:
            raise click.BadParameter("use ISO 8601, e.g. 2027-12-01T08:00:00+00:00", param_hint="--now") from None

        def clock():
            return utcnow() + offset
    stop = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.append(True))  # finish the delivery in hand, then exit
    tally = run_worker(batch, interval, watch, stopping=lambda: bool(stop), clock=clock)
    click.echo(f"{tally.announced} event(s) announced by the sweep; {tally.delivered} delivered, "
               f"{tally.failed} attempt(s) failed" + (f"; endpoint(s) {tally.disabled} switched off." if tally.disabled
                                                      else "."))

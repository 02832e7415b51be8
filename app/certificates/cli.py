"""`postready certificates ...`: check a certificate record offline; render pending PDFs."""
import os
import sys

import click
from flask.cli import with_appcontext

certificates_cli = click.Group("certificates", help="Certificate tools.")


@certificates_cli.command("verify")
@click.argument("record", type=click.File("r", encoding="utf-8"))
@click.option("--public-key", "public_key", type=click.File("rb"),
              help="PEM public key (default: this installation's key).")
@with_appcontext
def certificates_verify(record, public_key):
    """Check a certificate record offline: the JSON from /verify/<code>.json, or a file with payload and signature."""
    import json

    from app.certificates.signing import load_public_key, verify_signature

    try:
        data = json.load(record)
        payload, signature = data["payload"], data["signature"]
    except (ValueError, KeyError, TypeError):
        click.echo(f"{record.name}: not a certificate record (needs JSON with 'payload' and 'signature').", err=True)
        sys.exit(2)
    if public_key is not None:
        try:
            key = load_public_key(public_key.read())
        except ValueError:
            click.echo(f"{public_key.name}: not an Ed25519 public key in PEM form (use /certificates/public-key.pem).",
                       err=True)
            sys.exit(2)
    else:
        from app.certificates.services import signing_key

        key = signing_key().public
    if not isinstance(payload, str) or not isinstance(signature, str) or not verify_signature(key, payload, signature):
        click.echo("INVALID: the signature does not match this payload and key.", err=True)
        sys.exit(1)
    from app.certificates.codes import grouped

    fields = json.loads(payload)  # signed by this key: it is the JSON the app wrote
    click.echo(f"VALID signature: {fields['holder']}, {fields['certification_title']}, "
               f"issued {fields['issued_at'][:10]}, expires {fields['expires_at'][:10]}, "
               f"code {grouped(fields['code'])}.")
    click.echo("The signature proves the record is authentic; ask /verify/<code> whether it is still valid today.")


@certificates_cli.command("render-pending")
@click.option("--watch", is_flag=True, help="Keep running and render new certificates as they are issued "
                                            "(run it beside the web server when CERTIFICATE_PDFS=worker).")
@click.option("--interval", default=1.0, show_default=True, type=click.FloatRange(0.05, 3600),
              help="Seconds between polls when there is nothing to render.")
@click.option("--batch", default=20, show_default=True, type=click.IntRange(1, 1000),
              help="Certificates rendered per write.")
@click.option("--issued-since", "issued_since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
              help="Only certificates issued at or after this moment (UTC); older ones render at first download.")
@click.option("--nice", "niceness", default=10, show_default=True, type=click.IntRange(0, 19),
              help="With --watch: lower the renderer's CPU priority by this much, so web requests on the same "
                   "machine come first; it catches up when they leave the CPU idle.")
@click.option("--idle/--no-idle", "idle", default=True, show_default=True,
              help="With --watch, on Linux: render only on CPU that web requests leave idle (SCHED_IDLE).")
@with_appcontext
def certificates_render_pending(watch, interval, batch, issued_since, niceness, idle):
    """Render and store the PDF of every certificate that has none yet."""
    import signal
    from datetime import timezone

    from app.certificates.renderer import run_renderer

    if issued_since is not None:
        issued_since = issued_since.replace(tzinfo=timezone.utc)

    if watch:
        _yield_cpu_to_requests(niceness, idle)
    stop = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.append(True))  # finish the batch in hand, then exit
    tally = run_renderer(batch, interval, watch, stopping=lambda: bool(stop), issued_since=issued_since)
    failed = f"; {len(tally.failed)} failed (ids {', '.join(map(str, tally.failed))}), see the log."
    click.echo(f"{tally.stored} certificate PDF(s) rendered and stored" + (failed if tally.failed else "."))
    if tally.failed:
        sys.exit(1)


def _yield_cpu_to_requests(niceness: int, idle: bool) -> None:
    """A render is tens of milliseconds of CPU: at full priority, a refresher-week burst of
    certificates took a core away from the quiz submissions that earned them. Where the kernel
    offers it (Linux), SCHED_IDLE runs the renderer only on a core nothing else wants, and a web
    worker that wakes takes the core back at once; under `nice` alone it kept about a tenth of a
    busy core, and a time slice it held could keep a worker that holds the write lock waiting."""
    if niceness:
        os.nice(niceness)
    if idle and hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        except OSError:  # a sandbox may forbid it; the nice level still applies
            pass

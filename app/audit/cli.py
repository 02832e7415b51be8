"""`postready audit ...`: check the tamper-evident audit trail, or sign its head."""
import sys

import click
from flask.cli import with_appcontext

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

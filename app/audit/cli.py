"""`postready audit ...`: check the tamper-evident audit trail, or sign its head."""
import sys

import click
from flask.cli import with_appcontext

audit_cli = click.Group("audit", help="The tamper-evident audit trail.")


@audit_cli.command("verify")
@click.option("--checkpoint", "checkpoint_file", type=click.File("r"), help="A checkpoint from `audit checkpoint`.")
@with_appcontext
def audit_verify(checkpoint_file):
    """Walk the hash chain and check every certificate's signature; exit 1 on any problem."""
    import json

    from app.audit.services import check_against_checkpoint, verify_chain
    from app.certificates.services import signing_key
    from app.certificates.verification import forged_certificate_ids

    broken = False
    result = verify_chain()
    if result.ok:
        click.echo(f"OK: chain intact, {result.count} event(s), head {result.head_hash}.")
    else:
        click.echo(f"BROKEN: {result.problem}. {result.count} event(s) before it are intact.", err=True)
        broken = True
    if checkpoint_file is not None:
        try:
            problem = check_against_checkpoint(json.load(checkpoint_file), signing_key().public)
        except (ValueError, KeyError, TypeError):
            problem = f"{checkpoint_file.name} is not a checkpoint made by `postready audit checkpoint`"
        if problem:
            click.echo(f"BROKEN against the checkpoint: {problem}.", err=True)
            broken = True
        else:
            click.echo("OK: everything up to the checkpoint is unchanged.")
    forged = forged_certificate_ids()
    if forged:
        click.echo(f"BROKEN: {len(forged)} certificate(s) do not match what was signed (ids "
                   f"{', '.join(map(str, forged[:20]))}{' ...' if len(forged) > 20 else ''}).", err=True)
        broken = True
    else:
        click.echo("OK: every certificate matches its signature.")
    if broken:
        sys.exit(1)


@audit_cli.command("checkpoint")
@with_appcontext
def audit_checkpoint():
    """Print a signed statement of the chain head (keep it outside the database)."""
    import json

    from app.audit.services import checkpoint
    from app.certificates.services import signing_key

    click.echo(json.dumps(checkpoint(signing_key()), indent=2))

"""`postready tokens ...`: API bearer tokens for other systems."""
import click
from flask.cli import with_appcontext

from app.extensions import db

tokens_cli = click.Group("tokens", help="API bearer tokens for other systems.")


@tokens_cli.command("create")
@click.argument("name")
@click.option("--scope", type=click.Choice(["rights", "scim", "postcheck"]), default="rights", show_default=True,
              help="rights: the posting-rights API; scim: provisioning by the identity provider at /scim/v2; "
                   "postcheck: POST /api/v1/post-checks.")
@with_appcontext
def tokens_create(name, scope):
    """Create a token; its secret is printed once, on the last line."""
    from app.api.services import TokenError, create_token
    from app.timestamps import utcnow

    try:
        token, secret = create_token(None, name, utcnow(), scope)
    except TokenError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Token {token.id} “{token.name}” ({token.scope}) created. Its secret, shown only now:")
    click.echo(secret)


@tokens_cli.command("list")
@with_appcontext
def tokens_list():
    from app.api.services import all_tokens

    for t in all_tokens():
        state = "active" if t.active else f"revoked {t.revoked_at:%Y-%m-%d}"
        click.echo(f"{t.id:>4}  {t.prefix}…  {t.scope:<6}  {t.name}  ({state})")


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

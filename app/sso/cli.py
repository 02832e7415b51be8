"""`postready sso ...`: single sign-on from the command line."""
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

sso_cli = click.Group("sso", help="Single sign-on (OpenID Connect and SAML).")

LABELS = {"ok": "OK", "warning": "WARNING", "error": "ERROR"}


@sso_cli.command("check")
@with_appcontext
def sso_check():
    """Print the single sign-on settings and check the provider; exit 1 on any problem."""
    from app.sso.oidc import scopes
    from app.sso.oidc_check import check_oidc
    from app.sso.services import sso_configured
    from app.timestamps import utcnow

    config = current_app.config
    configured = sso_configured(config)
    findings = []
    click.echo("OpenID Connect:")
    if configured["oidc"]:
        base = config["PUBLIC_BASE_URL"].rstrip("/")
        click.echo(f"  issuer: {config['OIDC_ISSUER']}")
        click.echo(f"  client id: {config['OIDC_CLIENT_ID'] or '(not set)'}")
        click.echo(f"  scopes: {scopes(config)}")
        click.echo(f"  redirect URI to register at the provider: {base}/login/sso/callback")
        click.echo(f"  address to come back to after signing out: {base}/login")
        findings = check_oidc(config, utcnow())
        for finding in findings:
            click.echo(f"  {LABELS[finding.level]}: {finding.text}.", err=finding.level == "error")
    else:
        click.echo("  not configured (set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET to turn it on)")
    click.echo("SAML:")
    if configured["saml"]:
        from app.sso.saml_check import check_saml, saml_settings_lines

        for line in saml_settings_lines(config):
            click.echo(f"  {line}")
        saml_findings = check_saml(config, utcnow())
        for finding in saml_findings:
            click.echo(f"  {LABELS[finding.level]}: {finding.text}.", err=finding.level == "error")
        findings = [*findings, *saml_findings]
    else:
        click.echo("  not configured (set SAML_IDP_METADATA_URL or SAML_IDP_METADATA_FILE to turn it on)")
    if not configured["oidc"] and not configured["saml"]:
        click.echo("Single sign-on is off: people sign in with a password.")
    if any(finding.level == "error" for finding in findings):
        sys.exit(1)

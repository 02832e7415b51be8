"""Sign-in with the hospital's OpenID Connect provider: /login/sso and its callback (404 unless OIDC_ISSUER is set).

Authlib and requests (about 10 MB a worker) are loaded only by an app started with OIDC_ISSUER set.
"""
from flask import Blueprint, abort, current_app, render_template, request, session, url_for

from app.accounts.signin import safe_next
from app.audit.services import record
from app.extensions import db
from app.sqlite import writes_db
from app.sso.finish import finish_sign_in

bp = Blueprint("sso_oidc", __name__, template_folder="templates")
NEXT_KEY = "sso_oidc_next"  # where to land after the provider sends the person back


@bp.record_once
def attach_client(state) -> None:
    if state.app.config.get("OIDC_ISSUER"):
        from app.sso import oidc

        oidc.attach(state.app)


@bp.before_request
def only_when_configured():
    if not current_app.config.get("OIDC_ISSUER"):
        abort(404)


@bp.get("/login/sso")
@writes_db  # a provider that cannot be reached is audited
def start():
    from app.sso import oidc

    session[NEXT_KEY] = safe_next(request.args.get("next"))
    callback = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("sso_oidc.callback")
    try:
        return oidc.redirect_to_provider(callback)
    except oidc.OidcFailed as failure:
        return _failed(failure)


@bp.get("/login/sso/callback")
@writes_db
def callback():
    from app.sso import oidc

    next_url = session.pop(NEXT_KEY, None)
    try:
        identity, logout_url = oidc.identity_from_callback()
    except oidc.OidcFailed as failure:
        return _failed(failure)
    return finish_sign_in(identity, next_url, logout_url)


def _failed(failure):
    """Nobody is signed in: say what to do, and keep the reason in the audit trail."""
    record("sso.failed", actor_label="single sign-on",
           details={"protocol": "oidc", "issuer": current_app.config["OIDC_ISSUER"], "why": failure.reason,
                    "detail": failure.detail})
    db.session.commit()
    current_app.logger.warning("OpenID Connect sign-in failed (%s): %s", failure.reason, failure.detail)
    message = failure.message(current_app.config["SSO_CONTACT"])
    return render_template("sso/failed.html", message=message), failure.status

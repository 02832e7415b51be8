"""The end of every single sign-on: the person signed in (or told why not), one commit, a redirect."""
from flask import make_response, redirect, render_template, session
from werkzeug.wrappers import Response

from app.accounts.signin import home_url, safe_next, start_session
from app.extensions import db
from app.sso.rules import VerifiedIdentity
from app.sso.services import SsoRefused, sign_in_identity
from app.timestamps import utcnow


def finish_sign_in(identity: VerifiedIdentity, next_url: str | None, logout_url: str | None = None) -> Response:
    """`logout_url`: the provider's sign-out address, offered when the person signs out of PostReady."""
    try:
        user = sign_in_identity(identity, utcnow())
    except SsoRefused as exc:
        db.session.commit()  # the refusal's audit event is kept
        return make_response(render_template("sso/refused.html", message=exc.message), 403)
    db.session.commit()
    start_session(user)
    session["sso"] = {"protocol": identity.protocol, "logout": logout_url}
    return redirect(safe_next(next_url) or home_url(user))

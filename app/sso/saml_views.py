"""SAML 2.0 sign-in routes: our metadata, the start (off to the IdP) and the ACS (back from it).
All three are 404 until SAML_IDP_METADATA_URL or SAML_IDP_METADATA_FILE is set."""
import hashlib
import secrets

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request

from app.audit.services import record
from app.extensions import csrf, db
from app.sso.finish import finish_sign_in
from app.sso.services import sso_configured
from app.timestamps import utcnow

bp = Blueprint("sso_saml", __name__, template_folder="templates")

UNAVAILABLE = "We cannot reach your hospital's sign-in service right now. Wait a few minutes and try again."


def _saml():
    """The SAML module, imported on first use: python3-saml, lxml and xmlsec stay out of the workers'
    memory on sites that do not use SAML."""
    if not sso_configured(current_app.config)["saml"]:
        abort(404)
    from app.sso import saml

    return saml


def _failed(status: int, message: str):
    return render_template("sso/failed.html", message=message), status


@bp.get("/saml/metadata")
def metadata():
    saml = _saml()
    return Response(saml.sp_metadata_xml(current_app.config), mimetype="application/samlmetadata+xml")


BROWSER_COOKIE = "postready_saml"


def _digest(value: str | None) -> str | None:
    return hashlib.sha256(value.encode()).hexdigest() if value else None


@bp.get("/login/saml")
def start():
    saml, config = _saml(), current_app.config
    nonce = secrets.token_urlsafe(32)
    try:
        response = redirect(saml.start_url(config, request.args.get("next"), _digest(nonce)))
        # Sent back with the IdP's cross-site POST to the ACS (SameSite=None, which browsers allow only
        # with Secure; http://localhost counts as secure to them).
        response.set_cookie(BROWSER_COOKIE, nonce, max_age=saml.RELAY_MAX_AGE, path="/saml/acs", secure=True,
                            httponly=True, samesite="None")
        return response
    except saml.SamlUnavailable as exc:
        current_app.logger.error("SAML sign-in cannot start: %s", exc)
        return _failed(503, UNAVAILABLE)


@bp.post("/saml/acs")
@csrf.exempt  # the IdP posts here from its own site: the signed assertion is the proof, not a form token
def acs():
    saml, config = _saml(), current_app.config
    try:
        identity, next_url = saml.verified_identity(config, request.form.to_dict(), utcnow(),
                                               _digest(request.cookies.get(BROWSER_COOKIE)))
    except saml.SamlRejected as exc:
        db.session.rollback()  # nothing half-done is kept, only the event below
        record("sso.failed", actor_label="single sign-on", details={"protocol": "saml", "why": exc.reason})
        db.session.commit()
        current_app.logger.warning("SAML sign-in failed: %s", exc.reason)
        if exc.status == 403:
            return _failed(403, f"{exc.message} If it keeps happening, contact {config['SSO_CONTACT']}.")
        return _failed(exc.status, exc.message)
    except saml.SamlUnavailable as exc:
        current_app.logger.error("SAML sign-in cannot finish: %s", exc)
        return _failed(503, UNAVAILABLE)
    response = finish_sign_in(identity, next_url)
    response.delete_cookie(BROWSER_COOKIE, path="/saml/acs", secure=True, httponly=True, samesite="None")
    return response

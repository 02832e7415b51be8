"""The SCIM 2.0 service at /scim/v2: bearer tokens with the scim scope only (no cookies, so no CSRF),
a rate limit per token (SCIM_RATE_LIMIT), and every error as a SCIM Error message."""
import hashlib

from flask import Blueprint, current_app, g, request
from pydantic import ValidationError
from scim2_models import SCIMException
from werkzeug.exceptions import HTTPException

from app.api.services import bearer_secret, token_for_secret
from app.extensions import db, limiter
from app.scim.mapping import MappingProblem
from app.scim.responses import error_from_exception, scim_error
from app.scim.services import ProvisioningError, ScimActor

bp = Blueprint("scim", __name__, url_prefix="/scim/v2")

QUERY_TOKEN_NAMES = {"access_token", "token", "api_key", "apikey", "key"}


def _token_key() -> str:
    """Each token has its own allowance, whoever sends it and from wherever."""
    secret = request.headers.get("Authorization", "").partition(" ")[2].strip()
    return "scim-token:" + hashlib.sha256(secret.encode()).hexdigest()[:32]


limiter.limit(lambda: current_app.config["SCIM_RATE_LIMIT"], key_func=_token_key)(bp)


@bp.before_request
def authenticate():
    if QUERY_TOKEN_NAMES & set(request.args):
        return scim_error(400, "Send the token in the Authorization header, never in the URL.", "invalidValue")
    secret = bearer_secret(request.headers.get("Authorization", ""))
    token = token_for_secret(secret) if secret else None
    if token is None:
        return scim_error(401, "A valid SCIM token is required: Authorization: Bearer <token>.",
                          headers={"WWW-Authenticate": 'Bearer realm="postready-scim"'})
    if token.scope != "scim":
        return scim_error(403, "This token may not provision people. In PostReady, create a token with the "
                               "scim scope (postready tokens create NAME --scope scim).")
    g.scim_actor = ScimActor(token.id, token.name)
    return None


@bp.errorhandler(SCIMException)
@bp.errorhandler(ValidationError)
def refused(exc):
    db.session.rollback()
    return error_from_exception(exc)


@bp.errorhandler(ProvisioningError)
@bp.errorhandler(MappingProblem)
def provisioning_refused(exc):
    db.session.rollback()
    return scim_error(400, str(exc), "invalidValue")


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    db.session.rollback()
    return scim_error(exc.code or 500, exc.description or "Error.")

from flask import Blueprint, g, jsonify, request
from werkzeug.exceptions import HTTPException

from app.api.openapi import openapi_document
from app.api.services import checked_rights, token_for_secret
from app.database import utcnow
from app.rights.services import policy

# Bearer tokens only: no cookie sessions, no CSRF.
bp = Blueprint("api", __name__, url_prefix="/api/v1")

QUERY_TOKEN_NAMES = {"access_token", "token", "api_key", "apikey", "key"}


def error(status: int, message: str, headers: dict | None = None):
    response = jsonify(error={"status": status, "message": message})
    response.status_code = status
    response.headers.update(headers or {})
    return response


# These views check the token in the same statement as the data (checked_rights); every other
# route of the blueprint has it checked here, before the view runs.
CHECK_TOKEN_IN_VIEW = {"api.posting_rights", "api.platform_right"}


def unauthorized():
    return error(401, "A valid API token is required: Authorization: Bearer <token>.",
                 {"WWW-Authenticate": 'Bearer realm="postready"'})


@bp.before_request
def authenticate():
    if request.endpoint == "api.openapi":
        return None
    if QUERY_TOKEN_NAMES & set(request.args):
        return error(400, "Send the token in the Authorization header, never in the URL.")
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    g.api_secret = secret.strip() if scheme.lower() == "bearer" else ""
    if not g.api_secret:
        return unauthorized()
    if request.endpoint not in CHECK_TOKEN_IN_VIEW and token_for_secret(g.api_secret) is None:
        return unauthorized()
    return None


@bp.errorhandler(HTTPException)
def api_http_error(exc: HTTPException):
    return error(exc.code or 500, exc.description or "Error.")


def _decision_json(decision) -> dict:
    return {
        "right": decision.slug,
        "title": decision.title,
        "platform": decision.platform,
        "allowed": decision.allowed,
        "reason": decision.reason,
        "expires_at": decision.expires_at.isoformat() if decision.expires_at else None,
    }


def _rights(email: str, now, only=None):
    """(error response or None, checked rights). Unknown addresses and people outside the
    organization get the same 404."""
    checked = checked_rights(g.api_secret, email if len(email) <= 254 else "", now, only)
    if not checked.token_valid:
        return unauthorized(), checked
    if checked.person is None:
        return error(404, "No such person."), checked
    return None, checked


@bp.get("/people/<path:email>/posting-rights")
def posting_rights(email: str):
    now = utcnow()
    refused, checked = _rights(email, now)
    if refused is not None:
        return refused
    return jsonify(email=checked.person.email, checked_at=now.isoformat(),
                   rights=[_decision_json(d) for d in checked.decisions])


@bp.get("/people/<path:email>/posting-rights/<platform>")
def platform_right(email: str, platform: str):
    rule = policy().for_platform(platform)
    if rule is None:
        if token_for_secret(g.api_secret) is None:  # a bad token hears 401 first, on every path
            return unauthorized()
        return error(404, f"Unknown platform. Known platforms: {', '.join(policy().platforms)}.")
    now = utcnow()
    refused, checked = _rights(email, now, only=[rule])
    if refused is not None:
        return refused
    (decision,) = checked.decisions
    return jsonify(email=checked.person.email, checked_at=now.isoformat(), **_decision_json(decision))


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(policy().platforms))

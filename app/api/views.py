import hashlib

from flask import Blueprint, abort, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from app.api.openapi import openapi_document
from app.api.services import bearer_secret, person_by_email, token_for_secret
from app.extensions import limiter
from app.rights.services import policy, rights_of
from app.timestamps import utcnow

# Bearer tokens only: no cookie sessions, no CSRF.
bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _token_key() -> str:
    """Each token has its own allowance (API_RATE_LIMIT), whoever sends it and from wherever."""
    secret = request.headers.get("Authorization", "").partition(" ")[2].strip()
    return "api-token:" + hashlib.sha256(secret.encode()).hexdigest()[:32]


limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=_token_key)(bp)

QUERY_TOKEN_NAMES = {"access_token", "token", "api_key", "apikey", "key"}


def error(status: int, message: str, headers: dict | None = None):
    response = jsonify(error={"status": status, "message": message})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def unauthorized():
    return error(401, "A valid API token is required: Authorization: Bearer <token>.",
                 {"WWW-Authenticate": 'Bearer realm="postready"'})


@bp.before_request
def authenticate():
    if request.endpoint == "api.openapi":
        return None
    if QUERY_TOKEN_NAMES & set(request.args):
        return error(400, "Send the token in the Authorization header, never in the URL.")
    secret = bearer_secret(request.headers.get("Authorization", ""))
    token = token_for_secret(secret) if secret else None
    if token is None:
        return unauthorized()
    if token.scope != "rights":
        return error(403, "This token is for SCIM provisioning. Create a token with the rights scope for this API.")
    g.api_token_id = token.id
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


def _person(email: str):
    """Unknown addresses and people outside the organization get the same 404."""
    person = person_by_email(email) if len(email) <= 254 else None
    if person is None:
        abort(404, "No such person.")
    return person


@bp.get("/people/<path:email>/posting-rights")
def posting_rights(email: str):
    person, now = _person(email), utcnow()
    return jsonify(email=person.email, checked_at=now.isoformat(),
                   rights=[_decision_json(d) for d in rights_of(person, now)])


@bp.get("/people/<path:email>/posting-rights/<platform>")
def platform_right(email: str, platform: str):
    rule = policy().for_platform(platform)
    if rule is None:
        abort(404, f"Unknown platform. Known platforms: {', '.join(policy().platforms)}.")
    person, now = _person(email), utcnow()
    (decision,) = rights_of(person, now, only=[rule])
    return jsonify(email=person.email, checked_at=now.isoformat(), **_decision_json(decision))


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(policy().platforms))

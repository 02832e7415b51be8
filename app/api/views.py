import hashlib

from flask import Blueprint, abort, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from app.api.models import SCOPES
from app.api.openapi import openapi_document
from app.api.services import bearer_secret, person_by_email, token_for_secret
from app.extensions import db, limiter
from app.postcheck import services as post_checks
from app.postcheck.remote import CheckerUnavailable
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
    needed = "postcheck" if request.endpoint == "api.post_check" else "rights"
    if token.scope != needed:
        return error(403, f"This token is for {SCOPES.get(token.scope, token.scope)}; this endpoint needs a token "
                          f"with the {needed} scope (create one on the API tokens page).")
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


@bp.post("/post-checks")
def post_check():
    """A social tool's pre-publish step: the verdict and findings, and whether the author may post there now."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, 'Send JSON: {"text": ..., "platform": ..., "author_email": ...}.')
    try:
        post = post_checks.draft(body.get("text") if isinstance(body.get("text"), str) else None,
                                 body.get("platform") if isinstance(body.get("platform"), str) else None)
        result = post_checks.check(post)
    except post_checks.PostCheckError as exc:
        abort(400, str(exc))
    except CheckerUnavailable:
        abort(503, "The post checker is not answering; try again shortly.")
    now = utcnow()
    answer = {"verdict": result.verdict, "checked_at": now.isoformat(),
              "findings": [post_checks.finding_json(f, current_app.config["PUBLIC_BASE_URL"].rstrip("/"))
                           for f in result.findings]}
    email = body.get("author_email")
    if email is not None:
        if not isinstance(email, str):
            abort(400, "author_email must be an email address.")
        rule = policy().for_platform(post.platform)
        if rule is None:
            abort(400, f"PostReady grants no posting right for {post.platform}; leave out author_email, or use "
                       f"one of: {', '.join(policy().platforms)}.")
        person = person_by_email(email) if len(email) <= 254 else None
        if person is None:  # the check still stands; the author simply may not post
            answer["author"] = {"email": email, "right": rule.slug, "title": rule.title, "platform": rule.platform,
                                "allowed": False, "reason": "No one with this address is in PostReady.",
                                "expires_at": None}
        else:
            (decision,) = rights_of(person, now, only=[rule])
            answer["author"] = {"email": person.email, **_decision_json(decision)}
    post_checks.count(result, now)
    db.session.commit()
    return jsonify(answer)


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(policy().platforms))

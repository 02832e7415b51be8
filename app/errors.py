"""Error pages: a clear message, never a stack trace or SQL."""
from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError

from app.extensions import db

MESSAGES = {
    400: "The request could not be understood. Go back, check the form and try again.",
    403: "You do not have permission to see this page.",
    404: "We could not find that page.",
    405: "That action is not available here.",
    409: "That conflicts with what is already recorded.",
    413: "That upload is too large.",
    429: "Too many attempts. Wait a moment and try again.",
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _render(status: int, message: str):
    if request.path.startswith("/scim/"):  # SCIM clients read SCIM Error messages, even for a wrong URL
        from app.scim.responses import scim_error

        return scim_error(status, message)
    if _wants_json():
        return jsonify(error={"status": status, "message": message}), status
    return render_template("error.html", status=status, message=message), status


def csrf_failed():
    return _render(400, "Your form expired or was sent from somewhere else. Reload the page and try again.")


def register(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return csrf_failed()

    @app.errorhandler(SecurityError)
    def untrusted_host(exc):
        # The Host header names no site of ours (TRUSTED_HOSTS), so no link can be built: plain text.
        return "This site does not answer to that host name.", 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _render(exc.code or 500, MESSAGES.get(exc.code, exc.description or "Something went wrong."))

    @app.errorhandler(Exception)
    def unexpected(exc):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return _render(500, "Something went wrong on our side. It has been logged; please try again.")


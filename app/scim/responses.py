"""SCIM's answers: JSON as application/scim+json, and errors as SCIM Error messages (RFC 7644 §3.12)."""
import json

from flask import Response
from pydantic import ValidationError
from scim2_models import Error, SCIMException

CONTENT_TYPE = "application/scim+json"


def scim_json(payload: dict, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(json.dumps(payload, ensure_ascii=False), status=status, content_type=CONTENT_TYPE)
    response.headers.update(headers or {})
    return response


def scim_error(status: int, detail: str, scim_type: str | None = None, headers: dict | None = None) -> Response:
    error = Error(status=status, scim_type=scim_type, detail=detail)
    return scim_json(error.model_dump(), status, headers)


def _readable(errors: list[dict]) -> str:
    """Pydantic's errors as one line a provisioning log can show: what is wrong, and where."""
    return "; ".join(e.detail or "" for e in Error.from_validation_errors(errors)) or "The request is not valid."


def error_from_exception(exc: SCIMException | ValidationError) -> Response:
    """The SCIM error for a refusal by scim2-models (a SCIMException or the ValidationError it raises)."""
    if isinstance(exc, ValidationError):
        first = Error.from_validation_errors(exc)[0]
        return scim_error(first.status or 400, _readable(exc.errors()), first.scim_type)
    detail = _readable(exc.__cause__.errors()) if isinstance(exc.__cause__, ValidationError) else exc.detail
    error = exc.to_error()
    return scim_error(error.status or 400, detail, error.scim_type)

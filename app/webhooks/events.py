"""What PostReady announces: the event types and the body of each (pure; the OpenAPI document's
`webhooks` section is built from the same schemas, and tests check real deliveries against it)."""
from datetime import datetime, timezone

from app.rights.rules import REASON_KINDS

EVENT_TYPES = {
    "posting_rights.granted": "A person may now post with a right (certified, suspension lifted…).",
    "posting_rights.revoked": "A person may no longer post with a right (expired, suspended, deactivated…).",
    "certificate.issued": "A person earned a certificate.",
    "certificate.revoked": "An administrator revoked a certificate.",
    "certificate.expired": "A certificate reached its expiry date.",
    "person.deactivated": "A person's account was deactivated (left the organisation).",
}
PING = "ping"


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def envelope(event_type: str, occurred_at: datetime, data: dict) -> dict:
    return {"type": event_type, "timestamp": iso(occurred_at), "data": data}


def person_data(person) -> dict:
    return {"id": person.id, "email": person.email, "employee_id": person.employee_number or None,
            "name": person.full_name}


def right_data(person, decision, effective_at: datetime) -> dict:
    return {
        "person": person_data(person),
        "right": {"slug": decision.slug, "title": decision.title, "platform": decision.platform},
        "allowed": decision.allowed,
        "reason": {"kind": decision.kind, "text": decision.reason},
        "effective_at": iso(effective_at),
        "expires_at": iso(decision.expires_at),
    }


def certificate_data(certificate, verify_url: str, effective_at: datetime, reason: str | None = None) -> dict:
    return {
        "person": person_data(certificate.user),
        "certificate": {
            "id": certificate.id, "code": certificate.code, "certification": certificate.certification_slug,
            "title": certificate.certification.title, "issued_at": iso(certificate.issued_at),
            "expires_at": iso(certificate.expires_at), "verify_url": verify_url,
        },
        "reason": reason,
        "effective_at": iso(effective_at),
    }


def deactivated_data(person, effective_at: datetime) -> dict:
    return {"person": person_data(person), "effective_at": iso(effective_at)}


# JSON Schemas of the bodies, for the OpenAPI document (and the tests that read deliveries).
_STAMP = {"type": "string", "format": "date-time"}
_PERSON = {
    "type": "object", "required": ["id", "email", "employee_id", "name"], "additionalProperties": False,
    "properties": {"id": {"type": "integer"}, "email": {"type": "string"},
                   "employee_id": {"type": ["string", "null"], "description": "The HR system's employee number."},
                   "name": {"type": "string"}},
}
_RIGHT_DATA = {
    "type": "object", "additionalProperties": False,
    "required": ["person", "right", "allowed", "reason", "effective_at", "expires_at"],
    "properties": {
        "person": _PERSON,
        "right": {"type": "object", "required": ["slug", "title", "platform"], "additionalProperties": False,
                  "properties": {"slug": {"type": "string"}, "title": {"type": "string"},
                                 "platform": {"type": ["string", "null"]}}},
        "allowed": {"type": "boolean"},
        "reason": {"type": "object", "required": ["kind", "text"], "additionalProperties": False,
                   "properties": {"kind": {"enum": list(REASON_KINDS)}, "text": {"type": "string"}}},
        "effective_at": {**_STAMP, "description": "When the change took effect (an expiry: the moment it expired)."},
        "expires_at": {"type": ["string", "null"], "format": "date-time"},
    },
}
_CERTIFICATE_DATA = {
    "type": "object", "additionalProperties": False, "required": ["person", "certificate", "reason", "effective_at"],
    "properties": {
        "person": _PERSON,
        "certificate": {
            "type": "object", "additionalProperties": False,
            "required": ["id", "code", "certification", "title", "issued_at", "expires_at", "verify_url"],
            "properties": {"id": {"type": "integer"}, "code": {"type": "string"},
                           "certification": {"type": "string"}, "title": {"type": "string"},
                           "issued_at": _STAMP, "expires_at": _STAMP, "verify_url": {"type": "string"}},
        },
        "reason": {"type": ["string", "null"], "description": "Why it was revoked (null otherwise)."},
        "effective_at": _STAMP,
    },
}
_DEACTIVATED_DATA = {"type": "object", "additionalProperties": False, "required": ["person", "effective_at"],
                     "properties": {"person": _PERSON, "effective_at": _STAMP}}
_PING_DATA = {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}}
DATA_SCHEMAS = {
    "posting_rights.granted": _RIGHT_DATA, "posting_rights.revoked": _RIGHT_DATA,
    "certificate.issued": _CERTIFICATE_DATA, "certificate.revoked": _CERTIFICATE_DATA,
    "certificate.expired": _CERTIFICATE_DATA, "person.deactivated": _DEACTIVATED_DATA, PING: _PING_DATA,
}


def body_schema(event_type: str) -> dict:
    return {"type": "object", "required": ["type", "timestamp", "data"], "additionalProperties": False,
            "properties": {"type": {"const": event_type}, "timestamp": _STAMP, "data": DATA_SCHEMAS[event_type]}}


SIGNATURE_HEADERS = [
    {"name": "webhook-id", "in": "header", "required": True, "schema": {"type": "string"},
     "description": "The message's id: the same on every retry and replay, so receivers can ignore repeats."},
    {"name": "webhook-timestamp", "in": "header", "required": True, "schema": {"type": "integer"},
     "description": "Seconds since the epoch when this attempt was sent; refuse old ones (replays)."},
    {"name": "webhook-signature", "in": "header", "required": True, "schema": {"type": "string"},
     "description": "Space-separated `v1,<base64 HMAC-SHA256 of id.timestamp.body>`; two during a secret "
                    "rotation. Standard Webhooks; verify with its `standardwebhooks` libraries."},
]


def openapi_webhooks() -> dict:
    """The OpenAPI 3.1 `webhooks` section."""
    described = {**EVENT_TYPES, PING: "Sent by an administrator's Test button."}
    return {
        event_type: {"post": {
            "operationId": "webhook_" + event_type.replace(".", "_"),
            "summary": summary,
            "parameters": SIGNATURE_HEADERS,
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": body_schema(event_type)}}},
            "responses": {"2XX": {"description": "Received. Anything else is retried for about a day; "
                                                 "410 Gone disables the endpoint."}},
        }}
        for event_type, summary in described.items()
    }

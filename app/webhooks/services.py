"""Endpoint services for administrators: add, pause, resume, delete, rotate, test, replay. The caller commits."""
import base64
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.audit.services import record
from app.extensions import db
from app.permissions import can_manage_webhooks
from app.webhooks.events import EVENT_TYPES, PING
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.webhooks.outbox import add_event
from app.webhooks.sealing import seal
from app.webhooks.transport import AddressRefused, check_url

ROTATION_OVERLAP = timedelta(hours=24)  # the old secret still signs (beside the new) while receivers switch


class WebhookError(Exception):
    """A refused webhook action; the message is shown to the person."""


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _require(actor) -> None:
    if actor is not None and not can_manage_webhooks(actor):
        raise WebhookError("Only an administrator can manage webhooks.")


def parse_event_types(text: str | list[str]) -> list[str]:
    wanted = [t.strip() for t in (text.split(",") if isinstance(text, str) else text) if t.strip()]
    unknown = [t for t in wanted if t not in EVENT_TYPES]
    if unknown:
        raise WebhookError(f"Unknown event type {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)}.")
    return list(dict.fromkeys(wanted))


def add_endpoint(actor, url: str, description: str, event_types: list[str], now: datetime
                 ) -> tuple[WebhookEndpoint, str]:
    """Returns the endpoint and its secret (shown once)."""
    _require(actor)
    url = url.strip()
    if len(url) > 2000:
        raise WebhookError("That address is too long.")
    try:
        check_url(url, current_app.config["WEBHOOK_ALLOW_PRIVATE"])
    except AddressRefused as exc:
        raise WebhookError(str(exc)) from None
    secret = new_secret()
    endpoint = WebhookEndpoint(url=url, description=" ".join(description.split())[:200],
                               event_types=" ".join(parse_event_types(event_types)), secret=seal(secret),
                               created_at=now, created_by_id=getattr(actor, "id", None))
    db.session.add(endpoint)
    db.session.flush()
    _audit("webhook.endpoint_added", actor, endpoint, now, {"url": url, "events": endpoint.types or ["all"]})
    return endpoint, secret


def rotate_secret(actor, endpoint: WebhookEndpoint, now: datetime) -> str:
    _require(actor)
    _alive(endpoint)
    endpoint.previous_secret, endpoint.previous_secret_until = endpoint.secret, now + ROTATION_OVERLAP
    secret = new_secret()
    endpoint.secret = seal(secret)
    _audit("webhook.secret_rotated", actor, endpoint, now)
    return secret


def pause(actor, endpoint: WebhookEndpoint, now: datetime) -> None:
    _require(actor)
    _alive(endpoint)
    if endpoint.paused_at is None:
        endpoint.paused_at = now
        _audit("webhook.endpoint_paused", actor, endpoint, now)


def resume(actor, endpoint: WebhookEndpoint, now: datetime) -> None:
    """Sends again, including an endpoint the worker switched off; what waited is sent in order."""
    _require(actor)
    _alive(endpoint)
    if endpoint.paused_at is not None or endpoint.disabled_at is not None:
        endpoint.paused_at = endpoint.disabled_at = endpoint.failing_since = None
        endpoint.disabled_reason = ""
        _audit("webhook.endpoint_resumed", actor, endpoint, now)


def delete(actor, endpoint: WebhookEndpoint, now: datetime) -> None:
    """Stops every delivery to it; its log stays (evidence of what was sent)."""
    _require(actor)
    _alive(endpoint)
    endpoint.deleted_at = now
    _audit("webhook.endpoint_deleted", actor, endpoint, now)


def send_test(actor, endpoint: WebhookEndpoint, now: datetime) -> WebhookDelivery:
    _require(actor)
    _alive(endpoint)
    event = add_event(PING, now, {"message": f"A test from PostReady, sent by {_name(actor)}."}, now,
                      endpoint=endpoint)
    delivery = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.event_id == event.id)).one()
    _audit("webhook.test_sent", actor, endpoint, now)
    return delivery


def replay(actor, delivery: WebhookDelivery, now: datetime) -> WebhookDelivery:
    """The same message (same webhook-id and body) once more, as a new delivery in the log."""
    _require(actor)
    _alive(delivery.endpoint)
    again = WebhookDelivery(event_id=delivery.event_id, endpoint_id=delivery.endpoint_id, user_id=delivery.user_id,
                            created_at=now, next_attempt_at=now, replay_of_id=delivery.id)
    db.session.add(again)
    db.session.flush()
    _audit("webhook.replayed", actor, delivery.endpoint, now, {"delivery": delivery.id, "event": delivery.event.type})
    return again


def endpoints() -> list[WebhookEndpoint]:
    return list(db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.deleted_at.is_(None))
                                   .order_by(WebhookEndpoint.id)))


def recent_deliveries(endpoint: WebhookEndpoint, limit: int = 50) -> list[WebhookDelivery]:
    return list(db.session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
        .options(selectinload(WebhookDelivery.attempt_log), selectinload(WebhookDelivery.event))
        .order_by(WebhookDelivery.id.desc()).limit(limit)))


def _alive(endpoint: WebhookEndpoint) -> None:
    if endpoint.deleted_at is not None:
        raise WebhookError("This endpoint was deleted.")


def _name(actor) -> str:
    return getattr(actor, "full_name", None) or "the command line"


def _audit(action: str, actor, endpoint: WebhookEndpoint, now: datetime, details: dict | None = None) -> None:
    record(action, actor=actor, actor_label=None if actor else "cli", subject_type="webhook_endpoint",
           subject_id=endpoint.id, at=now, details=details or {"url": endpoint.url})

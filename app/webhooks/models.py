"""Webhooks: subscribed endpoints, the outbox of events, deliveries and their attempts.

Events and attempts are evidence (append-only, by trigger). An endpoint is configuration and a
delivery is the state of a queue, so both change in place; `announced_rights` remembers what was
last announced for each person's right, so each change is announced once.
"""
import json

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.extensions import db
from app.timestamps import UTCDateTime


class WebhookEndpoint(db.Model):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(String(200), default="")
    # Space-separated event types it receives; empty: every type.
    event_types: Mapped[str] = mapped_column(Text, default="")
    # The receiver verifies with it, so it cannot be hashed: it is sealed (app.webhooks.sealing).
    secret: Mapped[str] = mapped_column(Text)
    # After a rotation, deliveries are signed with both secrets until this moment.
    previous_secret: Mapped[str | None] = mapped_column(Text)
    previous_secret_until = mapped_column(UTCDateTime, nullable=True)
    created_at = mapped_column(UTCDateTime, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paused_at = mapped_column(UTCDateTime, nullable=True)
    disabled_at = mapped_column(UTCDateTime, nullable=True)
    disabled_reason: Mapped[str] = mapped_column(Text, default="")
    failing_since = mapped_column(UTCDateTime, nullable=True)  # first failure since the last success
    deleted_at = mapped_column(UTCDateTime, nullable=True)

    created_by: Mapped[User | None] = relationship()

    @property
    def types(self) -> list[str]:
        return self.event_types.split()

    def wants(self, event_type: str) -> bool:
        return event_type == "ping" or not self.event_types or event_type in self.types

    @property
    def state(self) -> str:
        if self.deleted_at is not None:
            return "deleted"
        if self.disabled_at is not None:
            return "disabled"
        return "paused" if self.paused_at is not None else "active"


class WebhookEvent(db.Model):
    __tablename__ = "webhook_events"
    __table_args__ = (Index("ix_webhook_events_user", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(40), unique=True)  # the webhook-id header, on every retry
    type: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    occurred_at = mapped_column(UTCDateTime, nullable=False)
    body: Mapped[str] = mapped_column(Text)  # the JSON sent, exactly
    # For an event the sweep finds (a certificate expired): announced once.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)

    @property
    def about(self) -> str:
        """Whom and what it is about, for the delivery log: "grace.kim@… · post-instagram: no (suspended)"."""
        data = json.loads(self.body)["data"]
        parts = [data["person"]["email"]] if "person" in data else []
        if "right" in data:
            verdict = "yes" if data["allowed"] else "no"
            parts.append(f"{data['right']['slug']}: {verdict} ({data['reason']['kind'].replace('_', ' ')})")
        if "certificate" in data:
            parts.append(data["certificate"]["title"])
        return " · ".join(parts)


class WebhookDelivery(db.Model):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_order", "endpoint_id", "user_id", "event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id"))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"))
    user_id: Mapped[int | None] = mapped_column(Integer)  # the event's person: deliveries keep their order
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending, delivered, failed, gone
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at = mapped_column(UTCDateTime, nullable=False)
    next_attempt_at = mapped_column(UTCDateTime, nullable=False)
    leased_until = mapped_column(UTCDateTime, nullable=True)  # a worker is sending it
    finished_at = mapped_column(UTCDateTime, nullable=True)
    replay_of_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_deliveries.id"))

    event: Mapped[WebhookEvent] = relationship()
    endpoint: Mapped[WebhookEndpoint] = relationship()
    attempt_log: Mapped[list["WebhookAttempt"]] = relationship(order_by="WebhookAttempt.id",
                                                               back_populates="delivery")


class WebhookAttempt(db.Model):
    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id"))
    started_at = mapped_column(UTCDateTime, nullable=False)
    duration_ms: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text, default="")  # timeout, refused address, connection error
    response_excerpt: Mapped[str] = mapped_column(Text, default="")

    delivery: Mapped[WebhookDelivery] = relationship(back_populates="attempt_log")

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class AnnouncedRight(db.Model):
    __tablename__ = "announced_rights"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    right_slug: Mapped[str] = mapped_column(String(60), primary_key=True)
    allowed: Mapped[bool]
    reason_kind: Mapped[str] = mapped_column(String(30))
    announced_at = mapped_column(UTCDateTime, nullable=False)

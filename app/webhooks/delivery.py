"""The delivery worker: `postready webhooks deliver --watch`, as many copies as wanted.

A worker claims due deliveries (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's single writer
does the same) by setting a lease, commits, sends, then records the attempt. A worker killed
mid-send leaves the lease to run out, and the next claim sends the same message (same webhook-id)
again. A person's deliveries to one endpoint go in order: one waits while an earlier one is pending.
"""
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import aliased, joinedload

from app.audit.services import record
from app.extensions import db
from app.timestamps import utcnow
from app.webhooks import rules
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.webhooks.notices import tell_admins_endpoint_disabled
from app.webhooks.outbox import sweep
from app.webhooks.sealing import SealBroken, unseal
from app.webhooks.transport import Answer, send


@dataclass
class WorkerTally:
    delivered: int = 0
    failed: int = 0  # attempts that did not succeed
    announced: int = 0  # events the sweeps wrote
    disabled: list[int] = field(default_factory=list)


def lease_length() -> timedelta:
    return timedelta(seconds=2 * current_app.config["WEBHOOK_TIMEOUT"] + 5)


def claim(now: datetime, batch: int) -> list[int]:
    """Lease up to `batch` due deliveries and commit; returns their ids in the order to send them."""
    earlier = aliased(WebhookDelivery)
    waits = exists().where(earlier.endpoint_id == WebhookDelivery.endpoint_id,
                           earlier.user_id == WebhookDelivery.user_id, earlier.status == "pending",
                           earlier.event_id < WebhookDelivery.event_id)
    ids = list(db.session.scalars(
        select(WebhookDelivery.id).join(WebhookEndpoint)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now,
               or_(WebhookDelivery.leased_until.is_(None), WebhookDelivery.leased_until <= now),
               WebhookEndpoint.paused_at.is_(None), WebhookEndpoint.disabled_at.is_(None),
               WebhookEndpoint.deleted_at.is_(None), ~waits)
        .order_by(WebhookDelivery.event_id, WebhookDelivery.id).limit(batch)
        .with_for_update(skip_locked=True, of=WebhookDelivery)))
    lease(ids, now)
    return ids


def lease(ids: list[int], now: datetime) -> None:
    """Mark these deliveries as being sent (commits)."""
    if ids:
        db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_(ids))
                           .values(leased_until=now + lease_length()).execution_options(synchronize_session=False))
    db.session.commit()


def release(ids: list[int]) -> None:
    db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_(ids))
                       .values(leased_until=None).execution_options(synchronize_session=False))
    db.session.commit()


def deliver(delivery_id: int, tally: WorkerTally, clock: Callable[[], datetime] = utcnow) -> WebhookAttempt:
    """Send one claimed delivery and record what happened (commits)."""
    config = current_app.config
    delivery = db.session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
        .options(joinedload(WebhookDelivery.event), joinedload(WebhookDelivery.endpoint))).one()
    endpoint, event = delivery.endpoint, delivery.event
    started = clock()
    sealed = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_until and started < endpoint.previous_secret_until:
        sealed.append(endpoint.previous_secret)
    url, message_id, body = endpoint.url, event.message_id, event.body
    db.session.commit()  # no transaction stays open while waiting on the network
    try:
        keys = [unseal(s) for s in sealed]
    except SealBroken as exc:  # nothing can be signed: logged like a failed attempt, until rotated
        answer = Answer(None, 0, str(exc))
    else:
        # Signed with the real time even under a test's clock: receivers refuse a stale webhook-timestamp.
        answer = send(url, message_id, body, keys, utcnow(), config["WEBHOOK_TIMEOUT"],
                      config["WEBHOOK_ALLOW_PRIVATE"])
    now = clock()
    attempt = WebhookAttempt(delivery_id=delivery.id, started_at=started, duration_ms=answer.duration_ms,
                             status_code=answer.status_code, error=answer.error, response_excerpt=answer.excerpt)
    db.session.add(attempt)
    delivery.attempts += 1
    outcome = rules.after_attempt(answer.status_code, delivery.attempts, endpoint.failing_since, now)
    delivery.status, delivery.leased_until = outcome.status, None
    if outcome.next_attempt_at is not None:
        delivery.next_attempt_at = outcome.next_attempt_at
    if outcome.status != "pending":
        delivery.finished_at = now
    endpoint.failing_since = outcome.failing_since
    newly_disabled = bool(outcome.disable_reason) and endpoint.disabled_at is None
    if newly_disabled:
        endpoint.disabled_at, endpoint.disabled_reason = now, outcome.disable_reason
        record("webhook.endpoint_disabled", actor_label="webhook worker", subject_type="webhook_endpoint",
               subject_id=endpoint.id, at=now, details={"reason": outcome.disable_reason})
    db.session.commit()
    if outcome.status == "delivered":
        tally.delivered += 1
    else:
        tally.failed += 1
    if newly_disabled:
        tally.disabled.append(endpoint.id)
        tell_admins_endpoint_disabled(endpoint)
    return attempt


def run_worker(batch: int, interval: float, watch: bool, stopping: Callable[[], bool],
               clock: Callable[[], datetime] = utcnow) -> WorkerTally:
    """Sweep for time-based changes (every WEBHOOK_SWEEP_SECONDS), deliver what is due; with watch,
    keep going until `stopping()`, else stop when nothing is due. `clock` says what time it is."""
    tally, last_sweep = WorkerTally(), None
    sweep_every = timedelta(seconds=current_app.config["WEBHOOK_SWEEP_SECONDS"])
    while not stopping():
        now = clock()
        if last_sweep is None or now - last_sweep >= sweep_every:
            tally.announced += sweep(now)
            db.session.commit()
            last_sweep = now
        ids = claim(now, batch)
        for position, delivery_id in enumerate(ids):
            if stopping():
                release(ids[position:])  # another worker may send them at once
                break
            deliver(delivery_id, tally, clock)
        if ids:
            continue
        if not watch:
            break
        time.sleep(interval)
    return tally

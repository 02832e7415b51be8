"""The outbox: events are written in the transaction that makes the change, so none is lost and
none is announced for a change that did not commit. The caller commits.

Rights are derived live (app.rights.rules), so a change in them is found by comparing each right
with what was last announced (`announced_rights`): after a request that may change someone's
rights, and by the delivery worker's sweep for changes that come with time (an expiry, the end of
a grace period). A conditional update of the announced state lets only one of two racing
announcers write the event.
"""
import json
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from app.accounts.models import User
from app.certificates.models import Certificate, CertificateRevocation
from app.extensions import db
from app.unique_rows import add_once, insert_ignoring_conflicts
from app.webhooks import events
from app.webhooks.models import AnnouncedRight, WebhookDelivery, WebhookEndpoint, WebhookEvent

EXPIRY_LOOKBACK = timedelta(days=7)  # a worker stopped longer than this does not announce old expiries
SWEEP_BATCH = 500


def add_event(event_type: str, occurred_at: datetime, data: dict, now: datetime, user_id: int | None = None,
              dedupe_key: str | None = None, endpoint: WebhookEndpoint | None = None) -> WebhookEvent | None:
    """Write one event and a delivery to every endpoint that wants it (or only to `endpoint`).
    None when an event with this dedupe key exists already."""
    body = json.dumps(events.envelope(event_type, occurred_at, data), separators=(",", ":"), ensure_ascii=False)
    event = WebhookEvent(message_id=f"msg_{secrets.token_hex(12)}", type=event_type, user_id=user_id,
                         occurred_at=occurred_at, body=body, dedupe_key=dedupe_key)
    if dedupe_key is None:
        db.session.add(event)
        db.session.flush()
    elif not add_once(db.session, event):
        return None
    targets = [endpoint] if endpoint is not None else db.session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.deleted_at.is_(None), WebhookEndpoint.disabled_at.is_(None)))
    db.session.add_all(WebhookDelivery(event_id=event.id, endpoint_id=e.id, user_id=user_id, created_at=now,
                                       next_attempt_at=now) for e in targets if e.wants(event_type))
    return event


def announce_rights(user_ids: Sequence[int], now: datetime) -> int:
    """Announce every right of these people that differs from what was last announced; returns how many."""
    from app.rights.services import rights_for_people

    if not user_ids:
        return 0
    people = list(db.session.scalars(select(User).where(User.id.in_(list(user_ids)))))
    decisions = rights_for_people(people, now)
    announced = {(uid, slug): allowed for uid, slug, allowed in db.session.execute(
        select(AnnouncedRight.user_id, AnnouncedRight.right_slug, AnnouncedRight.allowed)
        .where(AnnouncedRight.user_id.in_(list(user_ids))))}
    count = 0
    for person in people:
        for decision in decisions[person.id]:
            before = announced.get((person.id, decision.slug))
            if decision.allowed == bool(before) or not _claim(person.id, decision, before, now):
                continue
            changed = decision.since if not decision.allowed and decision.since and decision.since <= now else now
            kind = "posting_rights.granted" if decision.allowed else "posting_rights.revoked"
            add_event(kind, changed, events.right_data(person, decision, changed), now, user_id=person.id)
            count += 1
    return count


def _claim(user_id: int, decision, before: bool | None, now: datetime) -> bool:
    """Record the new state, unless another transaction announced it first."""
    values = {"allowed": decision.allowed, "reason_kind": decision.kind, "announced_at": now}
    if before is None:
        return insert_ignoring_conflicts(db.session, AnnouncedRight, [
            {"user_id": user_id, "right_slug": decision.slug, **values}], ["user_id", "right_slug"]) == 1
    result = db.session.execute(
        update(AnnouncedRight).where(AnnouncedRight.user_id == user_id, AnnouncedRight.right_slug == decision.slug,
                                     AnnouncedRight.allowed == before).values(**values)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def announce_certificate(event_type: str, certificate: Certificate, occurred_at: datetime, now: datetime,
                         reason: str | None = None, dedupe_key: str | None = None) -> WebhookEvent | None:
    from app.certificates.services import verify_url

    data = events.certificate_data(certificate, verify_url(certificate.code), occurred_at, reason)
    return add_event(event_type, occurred_at, data, now, user_id=certificate.user_id, dedupe_key=dedupe_key)


def announce_deactivated(person: User, now: datetime) -> None:
    add_event("person.deactivated", now, events.deactivated_data(person, now), now, user_id=person.id)


def announce_expired_certificates(now: datetime) -> int:
    """certificate.expired for each certificate that expired lately and was not revoked first."""
    candidates = list(db.session.scalars(
        select(Certificate).outerjoin(CertificateRevocation)
        .where(Certificate.expires_at <= now, Certificate.expires_at > now - EXPIRY_LOOKBACK,
               or_(CertificateRevocation.id.is_(None), CertificateRevocation.revoked_at > Certificate.expires_at))
        .order_by(Certificate.expires_at)))
    keys = {c.id: f"certificate.expired:{c.id}" for c in candidates}
    done = set(db.session.scalars(select(WebhookEvent.dedupe_key).where(WebhookEvent.dedupe_key.in_(keys.values()))))
    fresh = [c for c in candidates if keys[c.id] not in done]
    return sum(announce_certificate("certificate.expired", c, c.expires_at, now, dedupe_key=keys[c.id]) is not None
               for c in fresh)


def sweep(now: datetime) -> int:
    """Announce what time changed: expired certificates, then every right that differs from its
    announcement (for everyone active, and anyone last announced as allowed). Returns how many."""
    count = announce_expired_certificates(now)
    allowed_before = select(AnnouncedRight.user_id).where(AnnouncedRight.allowed)
    after = 0
    while True:
        ids = list(db.session.scalars(
            select(User.id).where(User.id > after, or_(User.active, User.id.in_(allowed_before)))
            .order_by(User.id).limit(SWEEP_BATCH)))
        if not ids:
            return count
        count += announce_rights(ids, now)
        after = ids[-1]


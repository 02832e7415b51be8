"""Record audit events in the same transaction as the change they describe.

`record(...)` queues an event on the session; just before the transaction
commits, queued events are appended to the chain. On PostgreSQL an advisory
lock serialises appenders (so two transactions never chain onto the same
head); on SQLite the write transaction (BEGIN IMMEDIATE) already does.
"""
import json
from datetime import datetime

from sqlalchemy import event, func, insert, select, text
from sqlalchemy.orm import Session

from app.audit.chain import GENESIS, ChainCheck, EventFields, actor_label_of, canonical, check_chain, event_hash
from app.audit.models import AuditEvent
from app.extensions import db
from app.timestamps import utcnow

PENDING = "postready.audit_pending"
ADVISORY_LOCK_KEY = 7_274_710_301  # any constant shared by every PostReady process


def record(action: str, *, actor=None, actor_label: str | None = None, subject_type: str = "",
           subject_id: object = "", details: dict | None = None, at: datetime | None = None) -> None:
    actor_id = getattr(actor, "id", None)
    label = actor_label_of(actor_id, actor_label)
    db.session.info.setdefault(PENDING, []).append({
        "occurred_at": at or utcnow(), "actor_id": actor_id, "actor_label": label,
        "action": action, "subject_type": subject_type, "subject_id": str(subject_id),
        "details": canonical(details or {}),
    })


@event.listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint's release: the events wait for the transaction's own commit
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    session.flush()  # the changes first (an event's actor may be a person created in this transaction)
    prev = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS
    rows = []
    for item in pending:
        fields = EventFields(item["occurred_at"].isoformat(), item["actor_label"], item["action"],
                             item["subject_type"], item["subject_id"], item["details"])
        digest = event_hash(prev, fields)
        rows.append({**item, "prev_hash": prev, "hash": digest})
        prev = digest
    session.execute(insert(AuditEvent), rows)  # a bulk INSERT: these rows are never read back as objects


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    # A savepoint rolled back (add_once meeting its twin) undoes one row, not the changes
    # already recorded: record() is only ever called after its change is written.
    if not session.in_nested_transaction():
        session.info.pop(PENDING, None)


def _fields(e: AuditEvent) -> EventFields:
    return EventFields(e.occurred_at.isoformat(), e.actor_label, e.action, e.subject_type, e.subject_id, e.details)


def verify_chain(batch: int = 5000) -> ChainCheck:
    def events():
        last = 0
        while True:
            rows = db.session.scalars(select(AuditEvent).where(AuditEvent.id > last).order_by(AuditEvent.id)
                                      .limit(batch)).all()
            if not rows:
                return
            for e in rows:
                yield e.id, e.prev_hash, e.hash, _fields(e), e.actor_id
            last = rows[-1].id
            db.session.expunge_all()

    return check_chain(events())


def checkpoint(signing_key) -> dict:
    """A signed statement of the chain's head, to keep outside the database."""
    result = verify_chain()
    statement = {"count": result.count, "head_id": result.head_id, "head_hash": result.head_hash,
                 "at": utcnow().isoformat(), "key_id": signing_key.key_id}
    payload = canonical(statement)
    return {"checkpoint": payload, "signature": signing_key.sign(payload), "chain_ok": result.ok}


def check_against_checkpoint(data: dict, public_key) -> str | None:
    """None when the chain still contains the checkpointed head at the same position; else the problem."""
    from app.certificates.signing import verify_signature

    if not verify_signature(public_key, data["checkpoint"], data["signature"]):
        return "the checkpoint's signature is not valid"
    statement = json.loads(data["checkpoint"])
    if statement["head_id"] is None:
        return None
    head = db.session.get(AuditEvent, statement["head_id"])
    if head is None or head.hash != statement["head_hash"]:
        return f"event {statement['head_id']} no longer has the checkpointed hash: history was rewritten"
    count = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.id <= head.id))
    if count != statement["count"]:
        return f"{statement['count'] - count} event(s) before the checkpoint are missing"
    return None



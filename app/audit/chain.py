"""The hash chain, as pure functions: how an event is hashed, and how a chain is checked."""
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

GENESIS = "0" * 64


def canonical(data: dict) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass(frozen=True)
class EventFields:
    occurred_at: str  # ISO 8601, UTC
    actor_label: str
    action: str
    subject_type: str
    subject_id: str
    details: str      # canonical JSON text

    def encode(self, prev_hash: str) -> bytes:
        return canonical({
            "prev": prev_hash, "at": self.occurred_at, "actor": self.actor_label, "action": self.action,
            "subject": [self.subject_type, self.subject_id], "details": self.details,
        }).encode("utf-8")


def event_hash(prev_hash: str, fields: EventFields) -> str:
    return hashlib.sha256(fields.encode(prev_hash)).hexdigest()


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    count: int
    head_id: int | None
    head_hash: str
    broken_id: int | None = None
    problem: str = ""


def actor_label_of(actor_id: int | None, label: str | None) -> str:
    """The hashed actor: "user:<id>" for a person, else the label given (cli, public, anonymous)."""
    return f"user:{actor_id}" if actor_id is not None else (label or "anonymous")


def check_chain(events: Iterable[tuple[int, str, str, EventFields, int | None]]) -> ChainCheck:
    """Walk (id, prev_hash, hash, fields, actor id) in id order; report the first broken link."""
    expected_prev, count, head_id = GENESIS, 0, None
    for event_id, prev_hash, stored_hash, fields, actor_id in events:
        if actor_id is not None and fields.actor_label != actor_label_of(actor_id, None):
            return ChainCheck(False, count, head_id, expected_prev, event_id,
                              f"event {event_id} names a different actor than the one it was hashed with")
        if prev_hash != expected_prev:
            return ChainCheck(False, count, head_id, expected_prev, event_id,
                              f"event {event_id} does not point at the event before it "
                              "(a row was removed or reordered)")
        if event_hash(prev_hash, fields) != stored_hash:
            return ChainCheck(False, count, head_id, expected_prev, event_id,
                              f"event {event_id} was changed after it was written (its hash does not match)")
        expected_prev, count, head_id = stored_hash, count + 1, event_id
    return ChainCheck(True, count, head_id, expected_prev)

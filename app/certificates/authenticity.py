"""Is a certificate row what was signed? Trust a certificate only if it is.

The rows are append-only by trigger, but someone with write access to the database (or a restored
backup) could add a row copied from another person's signed payload, or push an `expires_at`
forward. The Ed25519 signature covers the payload; this checks the signature and that the row says
what its payload says: the code, the holder (their id from payload version 2 on; the name in
version 1), the certification, the cycle and both dates.
"""
import json
from dataclasses import dataclass
from datetime import datetime

from app.certificates.signing import SigningKey, verify_signature


@dataclass(frozen=True)
class SignedRecord:
    code: str
    user_id: int
    holder_name: str
    certification_slug: str
    cycle: int
    issued_at: datetime
    expires_at: datetime
    payload: str
    signature: str
    key_id: str

    @classmethod
    def of(cls, certificate) -> "SignedRecord":
        return cls(certificate.code, certificate.user_id, certificate.holder_name, certificate.certification_slug,
                   certificate.cycle, certificate.issued_at, certificate.expires_at, certificate.payload,
                   certificate.signature, certificate.key_id)


def _moment(text) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def row_matches_payload(record: SignedRecord, payload: dict) -> bool:
    """The row's own columns agree with the signed payload (a pure check; no signature)."""
    holder_ok = (payload.get("holder_id") == record.user_id if payload.get("v", 1) >= 2
                 else payload.get("holder") == record.holder_name)
    return (holder_ok
            and payload.get("code") == record.code
            and payload.get("holder") == record.holder_name
            and payload.get("certification") == record.certification_slug
            and payload.get("cycle") == record.cycle
            and payload.get("key_id") == record.key_id
            and _moment(payload.get("issued_at")) == record.issued_at
            and _moment(payload.get("expires_at")) == record.expires_at)


def is_authentic(record: SignedRecord, key: SigningKey) -> bool:
    """Signed by this site's key, and the row matches what was signed."""
    if record.key_id != key.key_id or not verify_signature(key.public, record.payload, record.signature):
        return False
    try:
        payload = json.loads(record.payload)
    except ValueError:
        return False
    return isinstance(payload, dict) and row_matches_payload(record, payload)

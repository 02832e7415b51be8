"""What anyone who scans a certificate's QR code is told: valid, expired, revoked or not genuine,
and, when a newer certificate replaced it, which one. Never the reason for a revocation: that is
an internal record about a person."""
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.certificates import rules
from app.certificates.authenticity import SignedRecord, is_authentic
from app.certificates.models import Certificate
from app.certificates.services import signing_key
from app.extensions import db


@dataclass(frozen=True)
class Verification:
    certificate: Certificate
    status: rules.CertificateStatus
    checked_at: datetime
    superseded_by: Certificate | None = None  # the holder's newer certificate of the same certification

    def as_json(self) -> dict:
        c = self.certificate
        revocation = c.revocation
        return {
            "code": c.code,
            "status": self.status.value,
            "holder": c.holder_name,
            "certification": c.certification_slug,
            "certification_title": c.certification.title,
            "issued_at": c.issued_at.isoformat(),
            "expires_at": c.expires_at.isoformat(),
            "revoked_at": revocation.revoked_at.isoformat() if revocation else None,
            "superseded_by": self.superseded_by.code if self.superseded_by else None,
            "checked_at": self.checked_at.isoformat(),
            "payload": c.payload,
            "signature": c.signature,
            "key_id": c.key_id,
            "algorithm": "Ed25519",
        }


def verify(certificate: Certificate, now: datetime) -> Verification:
    revoked_at = certificate.revocation.revoked_at if certificate.revocation else None
    authentic = is_authentic(SignedRecord.of(certificate), signing_key())
    status = rules.certificate_status(certificate.expires_at, revoked_at, now, authentic)
    return Verification(certificate, status, now, _newer(certificate, now) if authentic else None)


def _newer(certificate: Certificate, now: datetime) -> Certificate | None:
    """The newest genuine later cycle of the same person's certification, issued by now."""
    later = db.session.scalars(
        select(Certificate).where(Certificate.user_id == certificate.user_id,
                                  Certificate.certification_slug == certificate.certification_slug,
                                  Certificate.cycle > certificate.cycle, Certificate.issued_at <= now)
        .order_by(Certificate.cycle.desc()).options(selectinload(Certificate.revocation))
    )
    return next((c for c in later if is_authentic(SignedRecord.of(c), signing_key())), None)


def forged_certificate_ids(batch: int = 2000) -> list[int]:
    """Every certificate whose row does not match what was signed (for `postready audit verify`)."""
    key, forged, last = signing_key(), [], 0
    columns = [getattr(Certificate, f.name) for f in fields(SignedRecord)]
    while True:
        rows = db.session.execute(select(Certificate.id, *columns).where(Certificate.id > last)
                                  .order_by(Certificate.id).limit(batch)).all()
        if not rows:
            return forged
        forged += [certificate_id for certificate_id, *signed in rows
                   if not is_authentic(SignedRecord(*signed), key)]
        last = rows[-1].id

"""Certificate rules as pure functions: status, and when a certificate is earned."""
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class CertificateStatus(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    INVALID = "invalid"  # its row does not match what was signed (app.certificates.authenticity)


def certificate_status(expires_at: datetime, revoked_at: datetime | None, now: datetime,
                       authentic: bool = True) -> CertificateStatus:
    """A record that is not what was signed is never valid; then revocation wins; otherwise a
    certificate is valid until (not including) its expiry instant."""
    if not authentic:
        return CertificateStatus.INVALID
    if revoked_at is not None and revoked_at <= now:
        return CertificateStatus.REVOKED
    return CertificateStatus.VALID if now < expires_at else CertificateStatus.EXPIRED


@dataclass(frozen=True, slots=True)
class HeldCertificate:
    slug: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def valid_at(self, now: datetime) -> bool:
        status = certificate_status(self.expires_at, self.revoked_at, now)
        return self.issued_at <= now and status is CertificateStatus.VALID


def download_is_audited(actor_id: int, holder_id: int) -> bool:
    """A download by anyone but the holder (a manager, an admin) is an access to someone else's
    record and is audited; the holder fetching their own certificate is not."""
    return actor_id != holder_id


@dataclass(frozen=True)
class CertificationRule:
    slug: str
    module_slugs: tuple[str, ...]
    requires: tuple[str, ...]


@dataclass(frozen=True)
class Eligibility:
    earned: bool
    missing_modules: tuple[str, ...] = ()
    missing_certifications: tuple[str, ...] = ()
    already_current: bool = False


def eligibility(
    rule: CertificationRule,
    completions: Mapping[str, datetime],
    held: Sequence[HeldCertificate],
    now: datetime,
    renewal_window: timedelta,
) -> Eligibility:
    """Is a new certificate (the next cycle) earned now?

    Every module must be completed after the person's latest certificate for
    this certification was issued (a new cycle needs fresh work), every
    required certification must be valid now, and a valid certificate that
    is not yet in its renewal window is not replaced.
    """
    mine = sorted((c for c in held if c.slug == rule.slug), key=lambda c: c.issued_at)
    latest = mine[-1] if mine else None
    if latest and latest.valid_at(now) and latest.expires_at - now > renewal_window:
        return Eligibility(False, already_current=True)
    since = latest.issued_at if latest else None
    missing_modules = tuple(
        m for m in rule.module_slugs
        if m not in completions or (since is not None and completions[m] <= since)
    )
    missing_certs = tuple(
        r for r in rule.requires if not any(c.slug == r and c.valid_at(now) for c in held)
    )
    return Eligibility(not missing_modules and not missing_certs, missing_modules, missing_certs)


def expiry(issued_at: datetime, validity_days: int) -> datetime:
    return issued_at + timedelta(days=validity_days)

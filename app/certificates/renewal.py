"""Where each of a person's certifications stands, and what renewing it takes: shown on My training.

A certificate is renewed by passing every module of its certification again after it was issued
(app.certificates.rules.eligibility); inside the renewal window, or once it has expired, those
modules are "renewal due".
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.certificates.models import Certificate
from app.certificates.rules import CertificateStatus, certificate_status
from app.courses.models import Module, ModuleCompletion
from app.extensions import db


@dataclass(frozen=True)
class Standing:
    certificate: Certificate              # the latest of its certification
    status: CertificateStatus
    renew_from: datetime                  # the renewal window opens
    modules_to_renew: tuple[str, ...]     # module slugs to pass again (renewal due or expired)

    @property
    def renewal_due(self) -> bool:
        return bool(self.modules_to_renew)


def standings(user, now: datetime, window: timedelta) -> list[Standing]:
    """The latest certificate of each certification the person has held, in title order."""
    latest: dict[str, Certificate] = {}
    for certificate in db.session.scalars(
            select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.issued_at)
            .options(selectinload(Certificate.revocation), selectinload(Certificate.certification))):
        latest[certificate.certification_slug] = certificate
    if not latest:
        return []
    completed = dict(db.session.execute(
        select(Module.slug, func.max(ModuleCompletion.completed_at))
        .join(Module, ModuleCompletion.module_id == Module.id)
        .where(ModuleCompletion.user_id == user.id).group_by(Module.slug)).all())
    result = []
    for certificate in latest.values():
        revoked_at = certificate.revocation.revoked_at if certificate.revocation else None
        status = certificate_status(certificate.expires_at, revoked_at, now)
        renew_from = certificate.expires_at - window
        due = status is not CertificateStatus.VALID or now >= renew_from  # in the window, expired or revoked
        modules = tuple(slug for slug in certificate.certification.module_slugs
                        if due and not (completed.get(slug) and completed[slug] > certificate.issued_at))
        result.append(Standing(certificate, status, renew_from, modules))
    return sorted(result, key=lambda s: s.certificate.certification.title)

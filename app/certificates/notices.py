"""Earning a certificate is an event: the holder gets an email with it, its links and the rights it grants.

A notice is sent after the commit that issued the certificate (never inside it), by the request
that issued it or by the PDF renderer's worker, and recorded once sent; a certificate whose notice
failed stays pending, and the next sweep (the renderer, or `postready reminders send`) tries again.
"""
import smtplib
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.audit.services import record
from app.certificates.codes import grouped
from app.certificates.models import Certificate, CertificateNotice
from app.certificates.services import verify_url
from app.extensions import db
from app.localtime import day, zone_of
from app.mail import Mail, Mailer, MailFailed
from app.timestamps import utcnow
from app.unique_rows import add_once

RECENT = timedelta(days=14)  # older certificates were issued before notices existed, or long announced


def pending_notice_ids(now: datetime, limit: int = 200) -> list[int]:
    return list(db.session.scalars(
        select(Certificate.id).outerjoin(CertificateNotice, CertificateNotice.certificate_id == Certificate.id)
        .where(CertificateNotice.certificate_id.is_(None), Certificate.issued_at >= now - RECENT)
        .order_by(Certificate.id).limit(limit)))


def notice_mail(certificate: Certificate, rights: list[str]) -> Mail:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    page = f"{base}/certificates/{certificate.id}"  # the detail page's path; workers have no request for url_for
    lines = [
        f"Hello {certificate.holder_name},",
        "",
        f"You earned your certificate: {certificate.certification.title}.",
        f"It is valid until {day(certificate.expires_at, zone_of(certificate.user))}.",
        "",
        f"See it and download the PDF (sign in first): {page}",
        f"Anyone can check it is genuine here: {verify_url(certificate.code)}",
        f"or at {base}/verify with its code: {grouped(certificate.code)}",
    ]
    if rights:
        lines += ["", "You may now:", *[f"  - {title}" for title in rights]]
    lines += ["", f"{current_app.config['ORG_NAME']} · PostReady"]
    return Mail(certificate.user.email, f"Certificate earned: {certificate.certification.title}", "\n".join(lines))


def send_certificate_notices(certificate_ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Email each listed (or every pending) certificate's holder once; commits each notice sent.
    Returns how many were sent. A failure is recorded and left pending."""
    from app.rights.services import policy, rights_for_people

    now = now or utcnow()
    ids = pending_notice_ids(now) if certificate_ids is None else certificate_ids
    certificates = list(db.session.scalars(
        select(Certificate).where(Certificate.id.in_(ids))
        .outerjoin(CertificateNotice, CertificateNotice.certificate_id == Certificate.id)
        .where(CertificateNotice.certificate_id.is_(None))
        .options(selectinload(Certificate.certification), selectinload(Certificate.user))))
    db.session.commit()  # no transaction stays open while talking to the mail server
    if not certificates:
        return 0
    needs = {rule.slug: set(rule.requires) for rule in policy().rights}
    decided = rights_for_people(list({c.user.id: c.user for c in certificates}.values()), now)  # one read for all
    sent = 0
    with Mailer(current_app.config) as mailer:
        for certificate in certificates:
            rights = [d.title for d in decided[certificate.user_id]
                      if d.allowed and certificate.certification_slug in needs.get(d.slug, set())]
            mail = notice_mail(certificate, rights)
            db.session.commit()
            try:
                mailer.send(mail)
            except MailFailed as exc:
                record("certificate.notice_failed", subject_type="certificate", subject_id=certificate.id, at=now,
                       details={"error": str(exc)})
                db.session.commit()
                continue
            if add_once(db.session, CertificateNotice(certificate_id=certificate.id, sent_at=utcnow())):
                sent += 1
            db.session.commit()
    return sent


def announce_after_commit(certificate_ids: list[int] | None) -> None:
    """Called after the commit that issued these certificates (None: every pending one), by the request
    that issued them or by the PDF renderer.
    An unreachable mail server loses nothing: the notices stay pending for the next sweep."""
    try:
        send_certificate_notices(certificate_ids)
    except (OSError, smtplib.SMTPException):
        db.session.rollback()
        current_app.logger.exception("the certificate notice could not be sent now; it stays pending")

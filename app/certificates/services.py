"""Certificate services: revoke, look up, verify, render and store PDFs (issuing: app.certificates.issuing)."""
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.audit.services import record
from app.branding import DEFAULT_COLOR
from app.certificates import codes, links
from app.certificates.models import Certificate, CertificatePdf, CertificateRevocation
from app.certificates.signing import SigningKey, load_or_create_key
from app.extensions import db
from app.localtime import zone_of
from app.permissions import can_revoke_certificates
from app.unique_rows import add_once, insert_ignoring_conflicts
from app.webhooks.outbox import announce_certificate, announce_rights


class CertificateError(Exception):
    """A refused certificate action; the message is shown to the person."""


def signing_key() -> SigningKey:
    """The app's signing key, read from its file once per process (the file changes only by a deploy)."""
    key = current_app.extensions.get("postready.signing_key")
    if key is None:
        key = load_or_create_key(current_app.instance_path, current_app.config.get("CERTIFICATE_SIGNING_KEY"))
        current_app.extensions["postready.signing_key"] = key
    return key


def verify_url(code: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/verify/{code}"


@dataclass(frozen=True)
class RenderedPdf:
    certificate_id: int
    template_version: str
    sha256: str
    content: bytes


# Certificates with no stored PDF yet, oldest first.
_WITHOUT_PDF = (
    select(Certificate).outerjoin(CertificatePdf).where(CertificatePdf.certificate_id.is_(None))
    .options(selectinload(Certificate.certification), selectinload(Certificate.course_version))
    .order_by(Certificate.id)
)


def render_missing_pdfs(certificate_ids: list[int]) -> list[RenderedPdf]:
    """Render the PDFs of these certificates that have none stored yet. Reads only.

    A certificate is committed first and its PDF rendered right after (see the quiz view): the
    render takes a tenth of a second, and no lock is held while it runs. If a process dies in
    between, the first download renders it (certificates.views.download); either way it is
    rendered once, from the certificate's own fields, and stored with its template version.
    """
    return [render_document(certificate.id, certificate_document(certificate))
            for certificate in certificates_without_pdf(certificate_ids)]


def certificates_without_pdf(certificate_ids: list[int]) -> list[Certificate]:
    """Those of these certificates with no stored PDF, with what their PDF shows loaded."""
    if not certificate_ids:
        return []
    return list(db.session.scalars(_WITHOUT_PDF.where(Certificate.id.in_(certificate_ids))))


def render_document(certificate_id: int, document) -> RenderedPdf:
    """Render one certificate's PDF from its fields; touches no database."""
    from app.certificates.pdf import TEMPLATE_VERSION, render_certificate_pdf

    content = render_certificate_pdf(document)
    return RenderedPdf(certificate_id, TEMPLATE_VERSION, hashlib.sha256(content).hexdigest(), content)


def pending_pdf_ids(limit: int, after: int = 0, issued_since: datetime | None = None) -> list[int]:
    """Certificates with no stored PDF and an id above `after`, oldest first: the renderer's queue.
    It is derived from the certificates themselves, so a renderer that stops loses nothing."""
    query = (select(Certificate.id).outerjoin(CertificatePdf)
             .where(CertificatePdf.certificate_id.is_(None), Certificate.id > after)
             .order_by(Certificate.id).limit(limit))
    if issued_since is not None:
        query = query.where(Certificate.issued_at >= issued_since)
    return list(db.session.scalars(query))


def newest_certificate_id() -> int:
    return db.session.scalar(select(func.max(Certificate.id))) or 0


def store_pdfs(rendered: list[RenderedPdf]) -> int:
    """Store rendered PDFs; one that another request stored first is kept (the first wins). Caller commits."""
    return insert_ignoring_conflicts(db.session, CertificatePdf, [vars(r) for r in rendered], ["certificate_id"])


def certificate_document(certificate: Certificate):
    """What a certificate's PDF shows, as plain data (rendering needs no database)."""
    from app.certificates.pdf import CertificateDocument

    version = certificate.course_version
    return CertificateDocument(
        organization=current_app.config["ORG_NAME"],
        holder_name=certificate.holder_name,
        certification_title=certificate.certification.title,
        course_title=version.title,
        course_version=version.version_label,
        modules=tuple(
            (m["title"], datetime.fromisoformat(m["completed_at"]).date()) for m in certificate.modules
        ),
        # printed on the organisation's calendar (ORG_TIMEZONE)
        issued_at=certificate.issued_at.astimezone(zone_of(None)),
        expires_at=certificate.expires_at.astimezone(zone_of(None)),
        code=certificate.code,
        verify_url=verify_url(certificate.code),
        policy_version=certificate.policy_version.version_label if certificate.policy_version else "",
        # a brand colour the organisation chose (validated at start-up) replaces the certificate's navy
        accent=current_app.config["BRAND_COLOR"] if current_app.config.get("ORG_BRAND_COLOR") not in (
            None, "", DEFAULT_COLOR) else "",
    )


def revoke_certificate(actor: User, certificate: Certificate, reason: str, now: datetime) -> CertificateRevocation:
    if not can_revoke_certificates(actor):
        raise CertificateError("Only an administrator can revoke a certificate.")
    reason = " ".join(reason.split())
    if len(reason) < 5:
        raise CertificateError("Give a reason for the revocation (at least a few words).")
    if certificate.revocation is not None:
        raise CertificateError("This certificate is already revoked.")
    revocation = CertificateRevocation(certificate_id=certificate.id, revoked_at=now, revoked_by_id=actor.id,
                                       reason=reason[:1000])
    if not add_once(db.session, revocation):
        raise CertificateError("This certificate is already revoked.")
    record("certificate.revoked", actor=actor, subject_type="certificate", subject_id=certificate.id, at=now,
           details={"reason": revocation.reason})
    announce_certificate("certificate.revoked", certificate, now, now, reason=revocation.reason)
    announce_rights([certificate.user_id], now)
    return revocation


class StoredPdf(NamedTuple):
    """A certificate's stored PDF with what its download needs (the content is None while the PDF
    is not rendered yet)."""

    user_id: int
    certification_slug: str
    issued_at: datetime
    content: bytes | None
    sha256: str | None


_STORED_PDF = (
    select(Certificate.user_id, Certificate.certification_slug, Certificate.issued_at,
           CertificatePdf.content, CertificatePdf.sha256)
    .outerjoin(CertificatePdf, CertificatePdf.certificate_id == Certificate.id)
)


def stored_pdf(certificate_id: int) -> StoredPdf | None:
    """One certificate's holder, file name parts and PDF, in one query; None if there is no
    such certificate. A download needs no more."""
    row = db.session.execute(_STORED_PDF.where(Certificate.id == certificate_id)).first()
    return None if row is None else StoredPdf(*row)


def download_link_url_token(holder: User, certificate: Certificate) -> str:
    """The token of the holder's own download link (app.certificates.links)."""
    return links.make_token(current_app.secret_key, certificate.id, holder.id, holder.session_token)


def stored_pdf_by_link(certificate_id: int, token: str) -> StoredPdf | None:
    """What `stored_pdf` gives, if the link is good, its holder still signed in and the PDF stored;
    else None (the signed-in route then decides)."""
    link = links.read_token(current_app.secret_key, token, certificate_id)
    if link is None:
        return None
    row = db.session.execute(
        _STORED_PDF.add_columns(User.session_token, User.active).join(User, User.id == Certificate.user_id)
        .where(Certificate.id == certificate_id, Certificate.user_id == link.holder_id)
    ).first()
    if row is None:
        return None
    *stored, session_token, active = row
    pdf = StoredPdf(*stored)
    if pdf.content is None or not link.holder_still_signed_in(session_token, active):
        return None
    return pdf


def certificate_by_typed_code(typed: str) -> Certificate | None:
    """The certificate a person's typed (or scanned) code means, or None; every candidate is an
    exact match (app.certificates.codes), the most literal one first."""
    wanted = codes.candidates(typed)
    if not wanted:
        return None
    found = {c.code: c for c in db.session.scalars(
        select(Certificate).where(Certificate.code.in_(wanted))
        .options(selectinload(Certificate.revocation), selectinload(Certificate.certification))
    )}
    return next((found[code] for code in wanted if code in found), None)


def certificates_of(user: User) -> list[Certificate]:
    return list(db.session.scalars(
        select(Certificate).where(Certificate.user_id == user.id)
        .options(selectinload(Certificate.revocation), selectinload(Certificate.certification))
        .order_by(Certificate.issued_at.desc())
    ))

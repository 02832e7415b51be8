"""Certificates and their revocations. Evidence: rows are only ever added.

One certificate per person, certification and cycle (a unique constraint);
recertifying adds the next cycle. A revocation is its own row, so the
certificate as issued is never edited.
"""
from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.courses.models import Certification, CourseVersion
from app.extensions import db
from app.policy.models import PolicyVersion
from app.timestamps import UTCDateTime


class Certificate(db.Model):
    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("user_id", "certification_slug", "cycle"),
        Index("ix_certificates_user_slug", "user_id", "certification_slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    certification_id: Mapped[int] = mapped_column(ForeignKey("certifications.id"))
    certification_slug: Mapped[str] = mapped_column(String(60))
    course_version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    cycle: Mapped[int]
    holder_name: Mapped[str] = mapped_column(String(300))  # as it was at issue
    modules: Mapped[list] = mapped_column(JSON)  # [{slug, title, completed_at, course_version}]
    issued_at = mapped_column(UTCDateTime, nullable=False)
    expires_at = mapped_column(UTCDateTime, nullable=False)
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly as signed
    signature: Mapped[str] = mapped_column(String(120))
    key_id: Mapped[str] = mapped_column(String(16))
    # the social media policy version the holder had signed when it was issued (None: no policy then)
    policy_version_id: Mapped[int | None] = mapped_column(ForeignKey("policy_versions.id"))
    policy_version: Mapped[PolicyVersion | None] = relationship()

    user: Mapped[User] = relationship()
    certification: Mapped[Certification] = relationship()
    course_version: Mapped[CourseVersion] = relationship()
    revocation: Mapped["CertificateRevocation | None"] = relationship(back_populates="certificate")
    pdf: Mapped["CertificatePdf | None"] = relationship(back_populates="certificate")


class CertificateRevocation(db.Model):
    __tablename__ = "certificate_revocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), unique=True)
    revoked_at = mapped_column(UTCDateTime, nullable=False)
    revoked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)

    certificate: Mapped[Certificate] = relationship(back_populates="revocation")
    revoked_by: Mapped[User] = relationship()


class CertificatePdf(db.Model):
    """The PDF as rendered once at issue; downloads return these exact bytes."""

    __tablename__ = "certificate_pdfs"

    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), primary_key=True)
    template_version: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)

    certificate: Mapped[Certificate] = relationship(back_populates="pdf")


class CertificateNotice(db.Model):
    """The holder was emailed that they earned this certificate (once; a failure leaves none)."""

    __tablename__ = "certificate_notices"

    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), primary_key=True)
    sent_at = mapped_column(UTCDateTime, nullable=False)

"""Policy versions and attestations. Both are evidence: rows are only ever added."""
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.timestamps import UTCDateTime


class PolicyVersion(db.Model):
    """One text of the policy, as loaded from `courses/`; the SHA-256 of its Markdown is its identity."""

    __tablename__ = "policy_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    version_label: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    grace_days: Mapped[int]  # people who attested an older version keep their rights this long
    loaded_at = mapped_column(UTCDateTime, nullable=False)


class PolicyAttestation(db.Model):
    """A person read this version, ticked the box and typed their name."""

    __tablename__ = "policy_attestations"
    __table_args__ = (UniqueConstraint("user_id", "policy_version_id"),
                      Index("ix_policy_attestations_user", "user_id", "attested_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"))
    sha256: Mapped[str] = mapped_column(String(64))  # of the text attested, kept with the signature
    typed_name: Mapped[str] = mapped_column(String(200))
    attested_at = mapped_column(UTCDateTime, nullable=False)

    policy_version: Mapped[PolicyVersion] = relationship()

"""Assignments: who must earn which certification by when. Evidence: only ever added.

Whether an assignment is satisfied is derived (a certificate, or fresh module
completions, after it was assigned), never stored as a flag that can drift.
"""
from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.extensions import db
from app.timestamps import UTCDateTime


class Assignment(db.Model):
    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_user", "user_id", "certification_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    certification_slug: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(String(20))  # onboarding | refresher | material-change | manual
    assigned_at = mapped_column(UTCDateTime, nullable=False)
    due_at = mapped_column(UTCDateTime, nullable=False)
    # Modules to retake after a material change; empty means the whole certification.
    module_slugs: Mapped[list] = mapped_column(JSON, default=list)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system
    note: Mapped[str] = mapped_column(Text, default="")
    # Makes automatic assignment idempotent: e.g. "refresher:certificate:42".
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

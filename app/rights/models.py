"""Suspensions of posting rights. Evidence: a lift is a new row, never an edit."""
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.extensions import db
from app.timestamps import UTCDateTime


class RightsSuspension(db.Model):
    __tablename__ = "rights_suspensions"
    __table_args__ = (Index("ix_rights_suspensions_user", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    right_slug: Mapped[str | None] = mapped_column(String(60))  # NULL: every right
    reason: Mapped[str] = mapped_column(Text)
    suspended_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    suspended_at = mapped_column(UTCDateTime, nullable=False)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    suspended_by: Mapped[User] = relationship(foreign_keys=[suspended_by_id])
    lift: Mapped["RightsSuspensionLift | None"] = relationship(back_populates="suspension")


class RightsSuspensionLift(db.Model):
    __tablename__ = "rights_suspension_lifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    suspension_id: Mapped[int] = mapped_column(ForeignKey("rights_suspensions.id"), unique=True)
    lifted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    lifted_at = mapped_column(UTCDateTime, nullable=False)
    reason: Mapped[str] = mapped_column(Text, default="")

    suspension: Mapped[RightsSuspension] = relationship(back_populates="lift")
    lifted_by: Mapped[User] = relationship()

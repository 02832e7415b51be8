"""What a post check leaves behind: anonymous monthly counts, and the checks a person chose to keep."""
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timestamps import UTCDateTime


class PostCheckCount(db.Model):
    """How many checks in a month found each kind (and gave each verdict): no text, no person."""

    __tablename__ = "post_check_counts"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # 2026-12
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)  # a finding kind, "verdict:stop", "checks"
    count: Mapped[int] = mapped_column(Integer, default=0)


class SavedPostCheck(db.Model):
    """A check its author chose to keep (nothing is kept otherwise)."""

    __tablename__ = "saved_post_checks"
    __table_args__ = (Index("ix_saved_post_checks_user", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, nullable=False)
    platform: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    verdict: Mapped[str] = mapped_column(String(10))
    findings: Mapped[list] = mapped_column(JSON)  # [{kind, start, end, message, lesson_url, rule}]

"""A record of every reminder sent, so none is sent twice on the same day."""
from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timestamps import UTCDateTime


class ReminderSent(db.Model):
    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("user_id", "kind", "subject_key", "sent_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))          # due-soon | overdue | expiring | digest
    subject_key: Mapped[str] = mapped_column(String(80))   # what it is about, e.g. "assignment:12"
    sent_on = mapped_column(Date, nullable=False)
    sent_at = mapped_column(UTCDateTime, nullable=False)
    email: Mapped[str] = mapped_column(String(254))

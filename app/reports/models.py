from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class EvidenceVersion(db.Model):
    """How many records that decide a person's report cells have been added for them.

    Written only by database triggers (migration 9c2e61d0b7a4): a row when the person is added,
    a bump with every certificate, revocation, completion, lesson view, assignment, suspension
    and lift. Reports reuse cells computed at the same version (cell_cache).
    """

    __tablename__ = "evidence_versions"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    version: Mapped[int] = mapped_column(server_default="0")

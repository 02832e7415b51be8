"""API bearer tokens, stored only as a SHA-256 hash of the secret, each for one scope."""
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.extensions import db
from app.timestamps import UTCDateTime

SCOPES = {"rights": "Posting-rights API", "scim": "SCIM provisioning", "postcheck": "Post checks"}


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # Tokens are 256 random bits, so a plain SHA-256 is enough (no need for a slow hash).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # shown in lists, to tell tokens apart
    # What the token may call: "rights" (the posting-rights API), "scim" (provisioning at /scim/v2) or
    # "postcheck" (POST /api/v1/post-checks).
    scope: Mapped[str] = mapped_column(String(10), default="rights", server_default="rights")
    created_at = mapped_column(UTCDateTime, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at = mapped_column(UTCDateTime, nullable=True)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    @property
    def active(self) -> bool:
        return self.revoked_at is None

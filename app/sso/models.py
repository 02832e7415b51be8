"""Single sign-on records: which identity at which provider is which person, and the SAML
assertions already used (a replayed one is refused until it would have expired anyway)."""
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.extensions import db
from app.timestamps import UTCDateTime


class SsoIdentity(db.Model):
    """Stored at the first sign-in: later sign-ins match on (issuer, subject), never on email."""
    __tablename__ = "sso_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    issuer: Mapped[str] = mapped_column(String(500))   # the OIDC issuer or the SAML IdP entity id
    subject: Mapped[str] = mapped_column(String(500))  # the OIDC `sub` or the SAML NameID
    linked_at = mapped_column(UTCDateTime, nullable=False)

    user: Mapped[User] = relationship()


class SamlAssertionSeen(db.Model):
    __tablename__ = "saml_assertions_seen"

    assertion_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    expires_at = mapped_column(UTCDateTime, nullable=False, index=True)

"""API token services. The caller commits."""
import hashlib
import secrets
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, select

from app.accounts.models import User
from app.accounts.services import PersonRef, normalize_email
from app.api.models import SCOPES, ApiToken
from app.audit.services import record
from app.extensions import db
from app.permissions import can_manage_api_tokens

TOKEN_PREFIX = "prt_"


class TokenError(Exception):
    pass


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(actor, name: str, now: datetime, scope: str = "rights") -> tuple[ApiToken, str]:
    """A new token and its secret; the secret is shown once and never stored."""
    if actor is not None and not can_manage_api_tokens(actor):
        raise TokenError("Only an administrator can create API tokens.")
    if scope not in SCOPES:
        raise TokenError(f"Choose the token's scope: {' or '.join(SCOPES)}.")
    name = " ".join(name.split())
    if not 1 <= len(name) <= 100:
        raise TokenError("Give the token a name of 1 to 100 characters, e.g. the tool that will use it.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, token_hash=_hash(secret), prefix=secret[:12], created_at=now, scope=scope,
                     created_by_id=actor.id if actor else None)
    db.session.add(token)
    db.session.flush()
    record("token.created", actor=actor, actor_label=None if actor else "cli", subject_type="api-token",
           subject_id=token.id, at=now, details={"name": name, "prefix": token.prefix, "scope": scope})
    return token, secret


def revoke_token(actor, token: ApiToken, now: datetime) -> None:
    if actor is not None and not can_manage_api_tokens(actor):
        raise TokenError("Only an administrator can revoke API tokens.")
    if token.revoked_at is None:
        token.revoked_at = now
        token.revoked_by_id = actor.id if actor else None
        record("token.revoked", actor=actor, actor_label=None if actor else "cli", subject_type="api-token",
               subject_id=token.id, at=now)


def _digest(secret: str) -> str | None:
    return _hash(secret) if secret.startswith(TOKEN_PREFIX) and len(secret) <= 100 else None


# Every API request runs both: built once, with bind parameters, from the tables (plain Core).
_tokens, _users = ApiToken.__table__, User.__table__
_ACTIVE_TOKEN = select(_tokens.c.id, _tokens.c.name, _tokens.c.scope).where(
    _tokens.c.token_hash == bindparam("digest"), _tokens.c.revoked_at.is_(None))
_PERSON = select(_users.c.id, _users.c.email, _users.c.active).where(_users.c.email == bindparam("email"))


class TokenRef(NamedTuple):
    id: int
    name: str
    scope: str


def token_for_secret(secret: str) -> TokenRef | None:
    """The active token with this secret, or None (checked on every request: revocation is immediate).
    The caller checks its scope."""
    digest = _digest(secret)
    row = None if digest is None else db.session.execute(_ACTIVE_TOKEN, {"digest": digest}).first()
    return None if row is None else TokenRef(*row)


def bearer_secret(authorization: str) -> str | None:
    """The secret of an `Authorization: Bearer <secret>` header, or None for any other header."""
    scheme, _, secret = authorization.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else None


def person_by_email(email: str) -> PersonRef | None:
    """Who the API is asked about: id, address and whether they are active (no more is needed)."""
    row = db.session.execute(_PERSON, {"email": normalize_email(email)}).first()
    return None if row is None else PersonRef(*row)


def all_tokens() -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc())))

"""API token services. The caller commits."""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, literal, null, select

from app.accounts.services import PersonRef, normalize_email
from app.api.models import ApiToken
from app.audit.services import record
from app.extensions import db
from app.permissions import can_manage_api_tokens
from app.rights.services import rights_by_email_statement, rights_from_rows

TOKEN_PREFIX = "prt_"


class TokenError(Exception):
    pass


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(actor, name: str, now: datetime) -> tuple[ApiToken, str]:
    """A new token and its secret; the secret is shown once and never stored."""
    if actor is not None and not can_manage_api_tokens(actor):
        raise TokenError("Only an administrator can create API tokens.")
    name = " ".join(name.split())
    if not 1 <= len(name) <= 100:
        raise TokenError("Give the token a name of 1 to 100 characters, e.g. the tool that will use it.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, token_hash=_hash(secret), prefix=secret[:12], created_at=now,
                     created_by_id=actor.id if actor else None)
    db.session.add(token)
    db.session.flush()
    record("token.created", actor=actor, actor_label=None if actor else "cli", subject_type="api-token",
           subject_id=token.id, at=now, details={"name": name, "prefix": token.prefix})
    return token, secret


def revoke_token(actor, token: ApiToken, now: datetime) -> None:
    if actor is not None and not can_manage_api_tokens(actor):
        raise TokenError("Only an administrator can revoke API tokens.")
    if token.revoked_at is None:
        token.revoked_at = now
        token.revoked_by_id = actor.id if actor else None
        record("token.revoked", actor=actor, actor_label=None if actor else "cli", subject_type="api-token",
               subject_id=token.id, at=now)


_ACTIVE_TOKEN = select(ApiToken.id).where(ApiToken.token_hash == bindparam("digest"), ApiToken.revoked_at.is_(None))


def _digest(secret: str) -> str | None:
    return _hash(secret) if secret.startswith(TOKEN_PREFIX) and len(secret) <= 100 else None


def token_for_secret(secret: str) -> int | None:
    """The id of the active token with this secret, or None (checked on every request: revocation is immediate)."""
    digest = _digest(secret)
    return None if digest is None else db.session.connection().execute(_ACTIVE_TOKEN, {"digest": digest}).scalar()


@dataclass(frozen=True)
class CheckedRights:
    token_valid: bool
    person: PersonRef | None  # when the token is valid and the address is known
    decisions: list


# The token check joins the rights check's one statement: the API is asked before every post, and
# on PostgreSQL each statement is a round trip.
_TOKEN_ROW = select(literal("t"), ApiToken.id, null(), null(), null(), null(), null(), null()).where(
    ApiToken.token_hash == bindparam("digest"), ApiToken.revoked_at.is_(None))
_CHECK = rights_by_email_statement(_TOKEN_ROW)


def checked_rights(secret: str, email: str, now: datetime, only=None) -> CheckedRights:
    """The API's whole check in one statement: is the token active, who is this, what may they do.
    On PostgreSQL it runs in autocommit: one statement needs no BEGIN and ROLLBACK round trips."""
    digest = _digest(secret)
    if digest is None:
        return CheckedRights(False, None, [])
    options = {"isolation_level": "AUTOCOMMIT"} if db.session.get_bind().dialect.name == "postgresql" else None
    rows = db.session.connection(execution_options=options).execute(
        _CHECK, {"digest": digest, "email": normalize_email(email)})
    person, decisions, others = rights_from_rows(rows, now, only)
    if not any(kind == "t" for kind, _ in others):
        return CheckedRights(False, None, [])
    return CheckedRights(True, person, decisions)


def all_tokens() -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc())))

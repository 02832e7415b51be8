"""Invitations and password resets by email: a one-time, expiring link to choose a password.

No admin ever types a password for someone else. A link names the person and a digest of their
session token; choosing a password rotates that token, so the link works once, and signing out
everywhere (or a deactivation) ends it too. An invitation lives two weeks, a reset link an hour.
"""
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from app.accounts.models import User
from app.accounts.passwords import hash_password
from app.audit.services import record
from app.extensions import db
from app.mail import Mail, Mailer, MailFailed
from app.timestamps import UTCDateTime

LIFETIMES = {"invite": timedelta(days=14), "reset": timedelta(hours=1)}


class Invitation(db.Model):
    """An invitation (or reset link) was emailed to this person. Rows are only added."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(10))  # invite | reset
    email: Mapped[str] = mapped_column(String(254))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sent_at = mapped_column(UTCDateTime, nullable=False)


class LinkInvalid(Exception):
    """The link is unknown, expired, or already used; the message says what to do."""


@dataclass(frozen=True)
class InvitationState:
    accepted: bool
    last_sent: datetime | None


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"postready.{purpose}-link")


def _digest(user: User) -> str:
    return hashlib.sha256(user.session_token.encode()).hexdigest()[:32]


def link_token(user: User, purpose: str) -> str:
    return _serializer(purpose).dumps([user.id, _digest(user)])


def person_for_link(token: str, purpose: str) -> User:
    """The active person a link was made for, while it is unused and in date."""
    try:
        user_id, digest = _serializer(purpose).loads(token, max_age=int(LIFETIMES[purpose].total_seconds()))
    except SignatureExpired:
        raise LinkInvalid("This link has expired. Ask for a new one below.") from None
    except (BadSignature, ValueError, TypeError):
        raise LinkInvalid("This link is not valid. Ask for a new one below.") from None
    user = db.session.get(User, user_id)
    if user is None or not user.active or digest != _digest(user):
        raise LinkInvalid("This link was already used or is no longer valid. Ask for a new one below.")
    return user


def invitation_mail(person: User, purpose: str) -> Mail:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    org = current_app.config["ORG_NAME"]
    path = "welcome" if purpose == "invite" else "reset-password"
    url = f"{base}/{path}/{link_token(person, purpose)}"
    if purpose == "invite" and not current_app.config["PASSWORD_LOGIN"] and not person.break_glass:
        # Password sign-in is off: nothing to set up, the hospital account is the way in.
        subject = f"{org}: your PostReady account is ready"
        text = (f"Hello {person.full_name},\n\n{org} uses PostReady for social media training. Sign in with "
                f"your hospital account here:\n\n{base}/login\n\nUse the account of {person.email}.\n")
    elif purpose == "invite":
        subject = f"{org}: set up your PostReady account"
        text = (f"Hello {person.full_name},\n\n{org} uses PostReady for social media training. Choose your "
                f"password here (the link works once, for 14 days):\n\n{url}\n\nThen sign in with {person.email}.\n")
    else:
        subject = "Reset your PostReady password"
        text = (f"Hello {person.full_name},\n\nSomeone asked to reset the password of this account. To choose a "
                f"new one, open this link within an hour (it works once):\n\n{url}\n\n"
                f"If it was not you, ignore this email: nothing changes.\n")
    return Mail(person.email, subject, text + f"\n-- PostReady, {org}\n")


def record_sent(person: User, purpose: str, actor: User | None, now: datetime, actor_label: str | None = None) -> None:
    db.session.add(Invitation(user_id=person.id, purpose=purpose, email=person.email,
                              sent_by_id=actor.id if actor else None, sent_at=now))
    record(f"person.{'invited' if purpose == 'invite' else 'reset_link_sent'}", actor=actor,
           actor_label=None if actor else (actor_label or "self-service"), subject_type="user", subject_id=person.id,
           at=now)


def set_password_from_link(person: User, purpose: str, new_password: str, now: datetime) -> None:
    """Choose the password; the link (and any session) ends with the old token. Caller commits."""
    from app.accounts.services import check_new_password

    check_new_password(new_password, person.email)
    person.password_hash = hash_password(new_password)
    person.must_change_password = False
    person.end_all_sessions()
    record("person.invitation_accepted" if purpose == "invite" else "password.reset", actor=person,
           subject_type="user", subject_id=person.id, at=now)


def invitation_states(people: list[User]) -> dict[int, InvitationState]:
    last = dict(db.session.execute(
        select(Invitation.user_id, db.func.max(Invitation.sent_at))
        .where(Invitation.user_id.in_([p.id for p in people]), Invitation.purpose == "invite")
        .group_by(Invitation.user_id)).all())
    return {p.id: InvitationState(p.password_hash is not None, last.get(p.id)) for p in people}


Outcome = tuple[list[User], dict[str, str]]  # who got a link; by address, why the others did not


def send_links(people: list[User], purpose: str, actor: User | None, now: datetime,
               actor_label: str | None = None) -> Outcome:
    """Email each person their link over one connection, after the commit that created them; record and
    commit each one sent. Returns who got one and, by address, why the others did not."""
    sent: list[User] = []
    failed: dict[str, str] = {}
    try:
        with Mailer(current_app.config) as mailer:
            for person in people:
                try:
                    mailer.send(invitation_mail(person, purpose))
                except MailFailed as exc:
                    failed[person.email] = str(exc)
                    continue
                record_sent(person, purpose, actor, now, actor_label)
                db.session.commit()
                sent.append(person)
    except OSError as exc:  # the mail server cannot be reached at all
        failed.update({p.email: str(exc) for p in people if p not in sent and p.email not in failed})
    for address, why in failed.items():
        current_app.logger.warning("link to %s not sent: %s", address, why)
    return sent, failed


def invite_new_people(emails: list[str], actor: User | None, now: datetime, actor_label: str | None = None) -> Outcome:
    """Invite the people an import (or SCIM: actor None, actor_label its token) created: those of
    `emails` with no password yet."""
    people = list(db.session.scalars(select(User).where(User.email.in_(emails), User.password_hash.is_(None))))
    return send_links(people, "invite", actor, now, actor_label)

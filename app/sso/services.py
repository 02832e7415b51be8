"""Signing in with a verified identity: find the person (link on first use), refuse the unknown and the
deactivated, create people only when SSO_CREATE_PEOPLE says so. Every outcome is an audit event.

The protocol modules (oidc.py, saml.py) check the provider's response and build a VerifiedIdentity;
nothing here reads a request. The caller commits.
"""
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.emails import EmailProblem, normalize_email
from app.accounts.models import Role, User
from app.accounts.placements import record_placements
from app.audit.services import record
from app.extensions import db
from app.sso.models import SsoIdentity
from app.sso.rules import Outcome, PersonFacts, VerifiedIdentity, admin_change, match_identity


class SsoRefused(Exception):
    """The provider vouched for someone PostReady will not sign in; `message` is for that person."""

    def __init__(self, outcome: Outcome, message: str):
        super().__init__(message)
        self.outcome, self.message = outcome, message


def normal_email(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        return normalize_email(raw)
    except EmailProblem:
        return None


def _facts(user: User | None, issuer: str) -> PersonFacts | None:
    if user is None:
        return None
    linked = db.session.scalar(select(SsoIdentity.id).where(SsoIdentity.user_id == user.id,
                                                            SsoIdentity.issuer == issuer).limit(1))
    return PersonFacts(user.id, user.active, linked is not None)


def sign_in_identity(identity: VerifiedIdentity, now: datetime) -> User:
    """The person this identity signs in as, linked and audited; raises SsoRefused."""
    link = db.session.scalar(select(SsoIdentity).where(SsoIdentity.issuer == identity.issuer,
                                                       SsoIdentity.subject == identity.subject))
    by_email = None
    if link is None and identity.email:
        by_email = db.session.scalar(select(User).where(User.email == identity.email))
    config = current_app.config
    match = match_identity(identity, _facts(link.user, identity.issuer) if link else None,
                           _facts(by_email, identity.issuer), config["SSO_CREATE_PEOPLE"])
    details = {"protocol": identity.protocol, "issuer": identity.issuer, "subject": identity.subject,
               "email": identity.email}
    if match.outcome in (Outcome.UNKNOWN, Outcome.DEACTIVATED, Outcome.TAKEN):
        record("sso.refused", actor_label=identity.email or identity.subject, subject_type="user",
               subject_id=match.user_id or "", details={**details, "why": match.outcome.value}, at=now)
        raise SsoRefused(match.outcome, _REFUSALS[match.outcome].format(contact=config["SSO_CONTACT"]))
    if match.outcome is Outcome.CREATE:
        user = _create(identity, now)
    else:
        user = link.user if link else by_email
    if match.outcome in (Outcome.LINK, Outcome.CREATE):
        try:
            with db.session.begin_nested():
                db.session.add(SsoIdentity(user_id=user.id, issuer=identity.issuer, subject=identity.subject,
                                           linked_at=now))
        except IntegrityError:  # the same first sign-in in two tabs: the other one linked it
            pass
        record("sso.linked", actor=user, subject_type="user", subject_id=user.id, details=details, at=now)
    _apply_admin_group(user, identity, now)
    record("sso.signed_in", actor=user, subject_type="user", subject_id=user.id, details=details, at=now)
    return user


_REFUSALS = {
    Outcome.UNKNOWN: "Your account is not set up in PostReady yet. Contact {contact} and ask them to add you.",
    Outcome.DEACTIVATED: "Your PostReady account is closed, so you cannot sign in. If this is a mistake, "
                         "contact {contact}.",
    Outcome.TAKEN: "Another hospital account is already linked to this PostReady account. Contact {contact}.",
}


def _create(identity: VerifiedIdentity, now: datetime) -> User:
    """An employee with no manager, flagged for an admin to place (SSO_CREATE_PEOPLE=on)."""
    from app.assignments.requirements import sync_requirements
    from app.assignments.services import assign_onboarding

    user = User(email=identity.email, full_name=(identity.full_name or identity.email)[:300], role=Role.EMPLOYEE,
                password_hash=None, must_change_password=False, needs_review=True, created_at=now)
    db.session.add(user)
    db.session.flush()
    record_placements([user], now)
    assign_onboarding(user, now)
    sync_requirements(now, None, [user.id])
    record("sso.person_created", actor_label="single sign-on", subject_type="user", subject_id=user.id,
           details={"email": user.email, "issuer": identity.issuer}, at=now)
    return user


def _apply_admin_group(user: User, identity: VerifiedIdentity, now: datetime) -> None:
    change = admin_change(identity.groups, current_app.config["SSO_ADMIN_GROUP"], user.role, user.admin_from_group)
    if change is None:
        return
    before = user.role
    if change == "grant":
        user.role, user.admin_from_group = Role.ADMIN, True
    else:
        user.role, user.admin_from_group = Role.EMPLOYEE, False
    user.end_all_sessions()  # a new role starts with a fresh session (the caller signs in after this)
    record("sso.admin_granted" if change == "grant" else "sso.admin_revoked", actor_label="single sign-on",
           subject_type="user", subject_id=user.id,
           details={"group": current_app.config["SSO_ADMIN_GROUP"], "from": before, "to": user.role}, at=now)


def sso_configured(config) -> dict[str, bool]:
    return {"oidc": bool(config.get("OIDC_ISSUER")),
            "saml": bool(config.get("SAML_IDP_METADATA_URL") or config.get("SAML_IDP_METADATA_FILE"))}

"""Who a verified identity is, as a pure function: the stored link first, the email only the first time."""
from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class VerifiedIdentity:
    """What a provider vouched for, after every check on its signature, audience and time passed."""
    protocol: str                 # "oidc" or "saml"
    issuer: str
    subject: str
    email: str | None             # normalised, or None when the provider sent none
    full_name: str | None = None
    groups: tuple[str, ...] = field(default_factory=tuple)


class Outcome(StrEnum):
    SIGN_IN = "sign in"           # a linked person
    LINK = "link"                 # first sign-in: matched by email, link it
    CREATE = "create"             # nobody matches and SSO_CREATE_PEOPLE is on
    UNKNOWN = "unknown"           # nobody matches
    DEACTIVATED = "deactivated"
    TAKEN = "taken"               # the email's person is linked to another identity of this provider


@dataclass(frozen=True)
class Match:
    outcome: Outcome
    user_id: int | None = None


@dataclass(frozen=True)
class PersonFacts:
    id: int
    active: bool
    linked_here: bool             # already linked to some identity of this issuer


def match_identity(identity: VerifiedIdentity, by_subject: PersonFacts | None, by_email: PersonFacts | None,
                   create_people: bool) -> Match:
    if by_subject is not None:
        return Match(Outcome.SIGN_IN if by_subject.active else Outcome.DEACTIVATED, by_subject.id)
    if by_email is not None:
        if not by_email.active:
            return Match(Outcome.DEACTIVATED, by_email.id)
        if by_email.linked_here:  # someone else's account at the provider now claims this address
            return Match(Outcome.TAKEN, by_email.id)
        return Match(Outcome.LINK, by_email.id)
    if create_people and identity.email:
        return Match(Outcome.CREATE)
    return Match(Outcome.UNKNOWN)


def admin_change(groups: tuple[str, ...], admin_group: str | None, role: str, admin_from_group: bool) -> str | None:
    """"grant", "revoke" or None: SSO_ADMIN_GROUP's members are admins while they are in it; an admin
    made in PostReady itself is never touched by a claim."""
    if not admin_group:
        return None
    member = admin_group in groups
    if member and role != "admin":
        return "grant"
    if not member and role == "admin" and admin_from_group:
        return "revoke"
    return None

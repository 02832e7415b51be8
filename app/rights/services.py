"""Rights services: derive rights live, suspend and lift. The caller commits."""
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import bindparam, case, func, literal, null, select, union_all
from sqlalchemy.sql import Select
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.accounts.services import PersonRef
from app.audit.services import record
from app.certificates.models import Certificate, CertificateRevocation
from app.certificates.rules import HeldCertificate
from app.courses.models import CourseVersion
from app.courses.services import current_versions
from app.database import add_once, column_rows
from app.extensions import db
from app.permissions import can_suspend_rights
from app.rights.models import RightsSuspension, RightsSuspensionLift
from app.rights.policy import RightRule, RightsPolicy, load_policy
from app.rights.rules import RightDecision, Suspension, decide_rights


class RightsError(Exception):
    """A refused rights action; the message is shown to the person."""


def policy() -> RightsPolicy:
    return load_policy(current_app._get_current_object())


_NEWEST_VERSION = select(func.max(CourseVersion.id))


def _core(statement, params: dict | None = None):
    return column_rows(db.session, statement, params)


def certification_titles(newest: int | None = None) -> dict[str, str]:
    """Titles of the current certifications; course versions are immutable, so cached per newest
    version (`newest`: that version's id, when the caller has just read it)."""
    if newest is None:
        newest = _core(_NEWEST_VERSION).scalar()
    cached = current_app.extensions.get("postready.certification_titles")
    if cached is None or cached[0] != newest:
        cached = (newest, {c.slug: c.title for v in current_versions() for c in v.certifications})
        current_app.extensions["postready.certification_titles"] = cached
    return cached[1]


_SUSPENDED_BY = aliased(User)
# Built once: constructing these statements costs more than running them.
_CERTIFICATES = (
    select(Certificate.user_id, Certificate.certification_slug, Certificate.issued_at,
           Certificate.expires_at, CertificateRevocation.revoked_at)
    .outerjoin(CertificateRevocation)
)
_SUSPENSIONS = (
    select(RightsSuspension.user_id, RightsSuspension.right_slug, RightsSuspension.reason,
           _SUSPENDED_BY.full_name, RightsSuspension.suspended_at, RightsSuspensionLift.lifted_at)
    .join(_SUSPENDED_BY, RightsSuspension.suspended_by_id == _SUSPENDED_BY.id)
    # Explicit ON: inferred from the last joined table (users), it would match lifts *by the suspender*.
    .outerjoin(RightsSuspensionLift, RightsSuspensionLift.suspension_id == RightsSuspension.id)
    .order_by(RightsSuspension.suspended_at)
)


_SUSPENSIONS_OF = _SUSPENSIONS.where(RightsSuspension.user_id.in_(bindparam("ids", expanding=True)))
_SUSPENSIONS_OF_AT = _SUSPENSIONS_OF.where(RightsSuspension.suspended_at <= bindparam("at"))


def suspensions_by_person(user_ids: Sequence[int] | Select, at: datetime | None = None) -> dict[int, list[Suspension]]:
    """Suspensions in force (now, or at a past moment) for each person, in one query.

    `user_ids` is a list of ids or a query selecting them (a report's population)."""
    if isinstance(user_ids, Select):
        query = _SUSPENSIONS.where(RightsSuspension.user_id.in_(user_ids))
        if at is not None:
            query = query.where(RightsSuspension.suspended_at <= at)
        params = {}
    else:
        query, params = (_SUSPENSIONS_OF if at is None else _SUSPENSIONS_OF_AT), {"ids": list(user_ids), "at": at}
    result: dict[int, list[Suspension]] = defaultdict(list)
    for user_id, right_slug, reason, by_name, since, lifted_at in _core(query, params):
        if lifted_at is None or (at is not None and lifted_at > at):
            result[user_id].append(Suspension(right_slug, reason, by_name, since))
    return result


def _rights_inputs(as_of: bool, by_email: bool = False):
    """Certificates, suspensions and the newest course version in one round trip (a UNION ALL of
    rows tagged by kind): the rights check runs before every post, so its query count matters.
    By email (the API), the person's own row comes in the same round trip, `active` spelled as
    text in the reason column so every kind of row has one shape."""
    if by_email:
        person_id = select(User.id).where(User.email == bindparam("email")).scalar_subquery()
        owned = lambda column: column == person_id  # noqa: E731
    else:
        ids = bindparam("ids", expanding=True)
        owned = lambda column: column.in_(ids)  # noqa: E731
    # The certificates come first: a UNION's result types are its first SELECT's.
    certificates = select(literal("c").label("kind"), *_CERTIFICATES.selected_columns, null(), null()) \
        .select_from(_CERTIFICATES.get_final_froms()[0]).where(owned(Certificate.user_id))
    suspensions = _SUSPENSIONS.with_only_columns(
        literal("s"), RightsSuspension.user_id, RightsSuspension.right_slug, RightsSuspension.suspended_at,
        null(), RightsSuspensionLift.lifted_at, RightsSuspension.reason, _SUSPENDED_BY.full_name,
        maintain_column_froms=True).order_by(None).where(owned(RightsSuspension.user_id))
    if as_of:
        certificates = certificates.where(Certificate.issued_at <= bindparam("as_of"))
        suspensions = suspensions.where(RightsSuspension.suspended_at <= bindparam("as_of"))
    newest = select(literal("v"), func.max(CourseVersion.id), null(), null(), null(), null(), null(), null())
    branches = [certificates, suspensions, newest]
    if by_email:
        branches.append(select(literal("p"), User.id, User.email, null(), null(), null(),
                               case((User.active, "active"), else_="inactive"), null())
                        .where(User.email == bindparam("email")))
    return union_all(*branches)


_RIGHTS_INPUTS = {False: _rights_inputs(False), True: _rights_inputs(True)}
_RIGHTS_BY_EMAIL = _rights_inputs(False, by_email=True)


@dataclass
class _Inputs:
    certificates: dict[int, list[HeldCertificate]] = field(default_factory=lambda: defaultdict(list))
    suspensions: dict[int, list[Suspension]] = field(default_factory=lambda: defaultdict(list))
    newest_version: int | None = None
    person: PersonRef | None = None
    others: list = field(default_factory=list)  # rows of kinds added by the caller (see rights_by_email_statement)


def _read_inputs(rows, as_of: datetime | None) -> _Inputs:
    found = _Inputs()
    for kind, user_id, slug, at, expires, ended, reason, by_name in rows:
        if kind == "c":
            revoked = None if as_of is not None and ended is not None and ended > as_of else ended
            found.certificates[user_id].append(HeldCertificate(slug, at, expires, revoked))
        elif kind == "s":
            if ended is None or (as_of is not None and ended > as_of):
                found.suspensions[user_id].append(Suspension(slug, reason, by_name, at))
        elif kind == "v":
            found.newest_version = user_id
        elif kind == "p":
            found.person = PersonRef(user_id, slug, reason == "active")
        else:
            found.others.append((kind, user_id))
    for held in found.suspensions.values():
        held.sort(key=lambda s: s.since)
    return found


def _decide(people, found: _Inputs, moment: datetime, only: Sequence[RightRule] | None):
    rules, titles = (policy().rights if only is None else only), certification_titles(found.newest_version)
    return {
        p.id: decide_rights(rules, found.certificates.get(p.id, []), found.suspensions.get(p.id, []), p.active,
                            moment, titles)
        for p in people
    }


def rights_for_people(people: Sequence[User], now: datetime, as_of: datetime | None = None,
                      only: Sequence[RightRule] | None = None) -> dict[int, list[RightDecision]]:
    """Every right (or only the given ones) for every person, in one query.

    `people` need only `id` and `active`: User objects or PersonRef rows."""
    params = {"ids": [p.id for p in people], "as_of": as_of}
    found = _read_inputs(_core(_RIGHTS_INPUTS[as_of is not None], params), as_of)
    return _decide(people, found, as_of or now, only)


def rights_by_email_statement(*extra):
    """The by-email statement with more branches of the same shape: (kind, id, six NULLs or values).
    Its parameters are `email` and whatever the extra branches bind."""
    return union_all(*_RIGHTS_BY_EMAIL.selects, *extra)


def rights_from_rows(rows, now: datetime, only: Sequence[RightRule] | None = None):
    """(person or None, their decisions, (kind, id) of the rows the caller's extra branches added)."""
    found = _read_inputs(rows, None)
    if found.person is None:
        return None, [], found.others
    return found.person, _decide([found.person], found, now, only)[found.person.id], found.others


def rights_of(person: User, now: datetime) -> list[RightDecision]:
    return rights_for_people([person], now)[person.id]


def suspend_rights(actor: User, person: User, right_slug: str | None, reason: str, now: datetime) -> RightsSuspension:
    if not can_suspend_rights(actor, person):
        raise RightsError("You cannot suspend this person's rights.")
    if right_slug is not None and right_slug not in {r.slug for r in policy().rights}:
        raise RightsError("Unknown right.")
    reason = " ".join(reason.split())
    if len(reason) < 5:
        raise RightsError("Give a reason for the suspension (at least a few words).")
    suspension = RightsSuspension(user_id=person.id, right_slug=right_slug, reason=reason[:1000],
                                  suspended_by_id=actor.id, suspended_at=now)
    db.session.add(suspension)
    db.session.flush()
    record("rights.suspended", actor=actor, subject_type="user", subject_id=person.id, at=now,
           details={"right": right_slug or "all", "reason": suspension.reason, "suspension": suspension.id})
    return suspension


def lift_suspension(actor: User, suspension: RightsSuspension, reason: str, now: datetime) -> RightsSuspensionLift:
    if not can_suspend_rights(actor, suspension.user):
        raise RightsError("You cannot lift this suspension.")
    if suspension.lift is not None:
        raise RightsError("This suspension was already lifted.")
    lift = RightsSuspensionLift(suspension_id=suspension.id, lifted_by_id=actor.id, lifted_at=now,
                                reason=" ".join(reason.split())[:1000])
    if not add_once(db.session, lift):
        raise RightsError("This suspension was already lifted.")
    record("rights.restored", actor=actor, subject_type="user", subject_id=suspension.user_id, at=now,
           details={"suspension": suspension.id})
    return lift


def suspension_history(person: User) -> list[RightsSuspension]:
    return list(db.session.scalars(
        select(RightsSuspension).where(RightsSuspension.user_id == person.id)
        .order_by(RightsSuspension.suspended_at.desc())
    ))

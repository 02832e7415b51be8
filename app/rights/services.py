"""Rights services: derive rights live, suspend and lift. The caller commits."""
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.sql import Select

from app.accounts.models import User
from app.audit.services import record
from app.certificates.authenticity import SignedRecord, is_authentic
from app.certificates.models import Certificate, CertificateRevocation
from app.certificates.rules import HeldCertificate
from app.certificates.services import signing_key
from app.courses.models import Certification
from app.courses.services import newest_version_per_course
from app.extensions import db
from app.permissions import can_lift_suspension, can_suspend_rights
from app.policy.services import standings
from app.rights.models import RightsSuspension, RightsSuspensionLift
from app.rights.policy import RightRule, RightsPolicy, load_policy
from app.rights.retakes import overdue_retakes
from app.rights.rules import RightDecision, Suspension, decide_rights
from app.unique_rows import add_once
from app.webhooks.outbox import announce_rights


class RightsError(Exception):
    """A refused rights action; the message is shown to the person."""


def policy() -> RightsPolicy:
    return load_policy(current_app)


# The rights check runs these on every call, so they are built once, with bind parameters, from
# the tables (plain Core statements: rows of columns need none of the ORM's entity handling).
_certificates, _revocations = Certificate.__table__, CertificateRevocation.__table__
_suspensions, _lifts, _suspender = RightsSuspension.__table__, RightsSuspensionLift.__table__, User.__table__.alias()
_certifications = Certification.__table__
_CURRENT_TITLES = select(_certifications.c.slug, _certifications.c.title).where(
    _certifications.c.course_version_id.in_(newest_version_per_course()))
_CERTIFICATES = (select(*(_certificates.c[f.name] for f in fields(SignedRecord)),
                        _revocations.c.revoked_at)
                 .select_from(_certificates.outerjoin(_revocations)))
_CERTIFICATES_OF = _CERTIFICATES.where(_certificates.c.user_id.in_(bindparam("ids", expanding=True)))
_SUSPENSIONS = (select(_suspensions.c.user_id, _suspensions.c.right_slug, _suspensions.c.reason,
                       _suspender.c.full_name, _suspensions.c.suspended_at, _lifts.c.lifted_at)
                .select_from(_suspensions.join(_suspender, _suspensions.c.suspended_by_id == _suspender.c.id)
                             .outerjoin(_lifts, _lifts.c.suspension_id == _suspensions.c.id))
                .order_by(_suspensions.c.suspended_at))
_SUSPENSIONS_OF = _SUSPENSIONS.where(_suspensions.c.user_id.in_(bindparam("ids", expanding=True)))


def certification_titles() -> dict[str, str]:
    """Titles of the current certifications, by slug."""
    return dict(db.session.execute(_CURRENT_TITLES).all())


def certificates_by_person(user_ids: Sequence[int], at: datetime, as_of: bool = False,
                           deciding: frozenset[str] | None = None) -> dict[int, list[HeldCertificate]]:
    """Each person's certificates (only those issued by `at` when `as_of`), in one query.

    A certificate that would be valid at `at`, of a certification in `deciding` (default: any),
    counts only if its row matches its signed payload (app.certificates.authenticity); one that is
    not valid then grants nothing either way."""
    query = _CERTIFICATES_OF.where(_certificates.c.issued_at <= at) if as_of else _CERTIFICATES_OF
    key = signing_key()
    result: dict[int, list[HeldCertificate]] = defaultdict(list)
    for *signed, revoked_at in db.session.execute(query, {"ids": list(user_ids)}):
        record = SignedRecord(*signed)
        if as_of and revoked_at is not None and revoked_at > at:
            revoked_at = None  # revoked later than the moment asked about
        held = HeldCertificate(record.certification_slug, record.issued_at, record.expires_at, revoked_at)
        if (deciding is None or held.slug in deciding) and held.valid_at(at) and not is_authentic(record, key):
            continue
        result[record.user_id].append(held)
    return result


def suspensions_by_person(user_ids: Sequence[int] | Select, at: datetime | None = None) -> dict[int, list[Suspension]]:
    """Suspensions in force (now, or at a past moment) for each person, in one query.

    `user_ids` is a list of ids or a query selecting them (a report's population)."""
    if isinstance(user_ids, Select):
        query, params = _SUSPENSIONS.where(_suspensions.c.user_id.in_(user_ids)), {}
    else:
        query, params = _SUSPENSIONS_OF, {"ids": list(user_ids)}
    if at is not None:
        query = query.where(_suspensions.c.suspended_at <= at)
    result: dict[int, list[Suspension]] = defaultdict(list)
    for user_id, right_slug, reason, by_name, since, lifted_at in db.session.execute(query, params):
        if lifted_at is None or (at is not None and lifted_at > at):
            result[user_id].append(Suspension(right_slug, reason, by_name, since))
    return result


def rights_for_people(people: Sequence, now: datetime, as_of: datetime | None = None,
                      only: Sequence[RightRule] | None = None) -> dict[int, list[RightDecision]]:
    """Every right (or only the given ones) for every person: three queries whatever the number of people.

    `people` need only `id` and `active` (User objects or rows)."""
    ids, moment = [p.id for p in people], as_of or now
    rules = policy().rights if only is None else only
    deciding = frozenset(slug for rule in rules for slug in rule.requires)
    certificates = certificates_by_person(ids, moment, as_of=as_of is not None, deciding=deciding)
    suspensions = suspensions_by_person(ids, as_of)
    titles = certification_titles()
    signed = standings(ids, moment)
    late = overdue_retakes(ids, moment)
    return {
        p.id: decide_rights(rules, certificates.get(p.id, []), suspensions.get(p.id, []), p.active, moment, titles,
                            signed[p.id], late.get(p.id))
        for p in people
    }


def rights_of(person, now: datetime, only: Sequence[RightRule] | None = None) -> list[RightDecision]:
    return rights_for_people([person], now, only=only)[person.id]


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
    announce_rights([person.id], now)
    return suspension


def lift_suspension(actor: User, suspension: RightsSuspension, reason: str, now: datetime) -> RightsSuspensionLift:
    if not can_lift_suspension(actor, suspension):
        raise RightsError("Only someone in the role of the person who imposed this suspension, or above, can lift it.")
    if suspension.lift is not None:
        raise RightsError("This suspension was already lifted.")
    lift = RightsSuspensionLift(suspension_id=suspension.id, lifted_by_id=actor.id, lifted_at=now,
                                reason=" ".join(reason.split())[:1000])
    if not add_once(db.session, lift):
        raise RightsError("This suspension was already lifted.")
    record("rights.restored", actor=actor, subject_type="user", subject_id=suspension.user_id, at=now,
           details={"suspension": suspension.id})
    announce_rights([suspension.user_id], now)
    return lift


def suspension_history(person: User) -> list[RightsSuspension]:
    return list(db.session.scalars(
        select(RightsSuspension).where(RightsSuspension.user_id == person.id)
        .order_by(RightsSuspension.suspended_at.desc())
    ))

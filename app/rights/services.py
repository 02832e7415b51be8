"""Rights services: derive rights live, suspend and lift. The caller commits."""
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select

from app.accounts.models import User
from app.audit.services import record
from app.certificates.authenticity import SignedRecord, is_authentic
from app.certificates.models import Certificate, CertificateRevocation
from app.certificates.rules import HeldCertificate
from app.certificates.services import signing_key
from app.courses.models import Certification
from app.courses.services import current_version_ids
from app.extensions import db
from app.permissions import can_lift_suspension, can_suspend_rights
from app.rights.models import RightsSuspension, RightsSuspensionLift
from app.rights.policy import RightRule, RightsPolicy, load_policy
from app.rights.rules import RightDecision, Suspension, decide_rights
from app.unique_rows import add_once


class RightsError(Exception):
    """A refused rights action; the message is shown to the person."""


def policy() -> RightsPolicy:
    return load_policy(current_app)


def certification_titles() -> dict[str, str]:
    """Titles of the current certifications, by slug."""
    return dict(db.session.execute(
        select(Certification.slug, Certification.title)
        .where(Certification.course_version_id.in_(current_version_ids()))
    ).all())


def _people_filter(column, user_ids: Sequence[int] | Select):
    return column.in_(user_ids if isinstance(user_ids, Select) else list(user_ids))


def certificates_by_person(user_ids: Sequence[int] | Select,
                           as_of: datetime | None = None) -> dict[int, list[HeldCertificate]]:
    """Each person's genuine certificates (as issued by `as_of`, if given), in one query. A row that
    does not match its signed payload grants nothing (app.certificates.authenticity)."""
    query = (select(Certificate.code, Certificate.user_id, Certificate.holder_name, Certificate.certification_slug,
                    Certificate.cycle, Certificate.issued_at, Certificate.expires_at, Certificate.payload,
                    Certificate.signature, Certificate.key_id, CertificateRevocation.revoked_at)
             .outerjoin(CertificateRevocation)
             .where(_people_filter(Certificate.user_id, user_ids)))
    if as_of is not None:
        query = query.where(Certificate.issued_at <= as_of)
    key = signing_key()
    result: dict[int, list[HeldCertificate]] = defaultdict(list)
    for *signed, revoked_at in db.session.execute(query):
        record = SignedRecord(*signed)
        if not is_authentic(record, key):
            continue
        if as_of is not None and revoked_at is not None and revoked_at > as_of:
            revoked_at = None  # revoked later than the moment asked about
        result[record.user_id].append(HeldCertificate(record.certification_slug, record.issued_at,
                                                      record.expires_at, revoked_at))
    return result


def suspensions_by_person(user_ids: Sequence[int] | Select, at: datetime | None = None) -> dict[int, list[Suspension]]:
    """Suspensions in force (now, or at a past moment) for each person, in one query.

    `user_ids` is a list of ids or a query selecting them (a report's population)."""
    suspended_by = aliased(User)
    query = (
        select(RightsSuspension.user_id, RightsSuspension.right_slug, RightsSuspension.reason,
               suspended_by.full_name, RightsSuspension.suspended_at, RightsSuspensionLift.lifted_at)
        .join(suspended_by, RightsSuspension.suspended_by_id == suspended_by.id)
        .outerjoin(RightsSuspensionLift, RightsSuspensionLift.suspension_id == RightsSuspension.id)
        .where(_people_filter(RightsSuspension.user_id, user_ids))
        .order_by(RightsSuspension.suspended_at)
    )
    if at is not None:
        query = query.where(RightsSuspension.suspended_at <= at)
    result: dict[int, list[Suspension]] = defaultdict(list)
    for user_id, right_slug, reason, by_name, since, lifted_at in db.session.execute(query):
        if lifted_at is None or (at is not None and lifted_at > at):
            result[user_id].append(Suspension(right_slug, reason, by_name, since))
    return result


def rights_for_people(people: Sequence, now: datetime, as_of: datetime | None = None,
                      only: Sequence[RightRule] | None = None) -> dict[int, list[RightDecision]]:
    """Every right (or only the given ones) for every person: three queries whatever the number of people.

    `people` need only `id` and `active` (User objects or rows)."""
    ids = [p.id for p in people]
    certificates = certificates_by_person(ids, as_of)
    suspensions = suspensions_by_person(ids, as_of)
    rules, titles, moment = (policy().rights if only is None else only), certification_titles(), as_of or now
    return {
        p.id: decide_rights(rules, certificates.get(p.id, []), suspensions.get(p.id, []), p.active, moment, titles)
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
    return lift


def suspension_history(person: User) -> list[RightsSuspension]:
    return list(db.session.scalars(
        select(RightsSuspension).where(RightsSuspension.user_id == person.id)
        .order_by(RightsSuspension.suspended_at.desc())
    ))

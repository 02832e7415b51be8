"""The audit report's summary and its evidence beyond the roster: suspensions, revocations, attestations.

Every list holds only records that existed at the report's moment, so a past "as of" date gives the
same report (and digest) every time.
"""
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.certificates.models import Certificate, CertificateRevocation
from app.extensions import db
from app.policy.models import PolicyAttestation, PolicyVersion
from app.reports import services
from app.reports.rules import Status
from app.rights.models import RightsSuspension, RightsSuspensionLift


def _day(moment: datetime | None) -> str | None:
    return moment.date().isoformat() if moment else None


def summary(board: services.Dashboard) -> list[dict]:
    """Per requirement, over the people in scope it applies to: how many, compliant, overdue, expired."""
    return [{"requirement": req.title, "people": s.total, "compliant": s.compliant_percent,
             "compliant_count": s.counts[Status.CERTIFIED] + s.counts[Status.EXPIRING],
             "overdue": s.counts[Status.OVERDUE], "expired": s.counts[Status.EXPIRED],
             "suspended": s.counts[Status.SUSPENDED]}
            for req, s in zip(board.requirements, board.summaries)]


def by_team(board: services.Dashboard) -> list[dict]:
    """Per department, naming whose team it is (the managers of its people), compliance per requirement."""
    managers: dict[str, set[str]] = {}
    for row in board.rows:
        if row.manager_name:
            managers.setdefault(row.department or "(no department)", set()).add(row.manager_name)
    return [{"department": line.name, "managers": sorted(managers.get(line.name, ()), key=str.casefold),
             "people": line.people,
             "requirements": [{"compliant": s.compliant_percent, "overdue": s.counts[Status.OVERDUE],
                               "required": s.total} for s in line.summaries]}
            for line in services.by_department(board)]


def suspensions(scope: Select, at: datetime) -> list[dict]:
    by, lifter = aliased(User), aliased(User)
    rows = db.session.execute(
        select(User.full_name, RightsSuspension.right_slug, RightsSuspension.reason, by.full_name,
               RightsSuspension.suspended_at, RightsSuspensionLift.lifted_at, lifter.full_name)
        .select_from(RightsSuspension)
        .join(User, RightsSuspension.user_id == User.id).join(by, RightsSuspension.suspended_by_id == by.id)
        .outerjoin(RightsSuspensionLift, (RightsSuspensionLift.suspension_id == RightsSuspension.id)
                   & (RightsSuspensionLift.lifted_at <= at))
        .outerjoin(lifter, RightsSuspensionLift.lifted_by_id == lifter.id)
        .where(RightsSuspension.user_id.in_(scope), RightsSuspension.suspended_at <= at)
        .order_by(RightsSuspension.suspended_at, RightsSuspension.id))
    return [{"person": name, "right": right or "every right", "reason": reason, "by": by_name,
             "since": _day(since), "lifted": _day(lifted), "lifted_by": lifted_by}
            for name, right, reason, by_name, since, lifted, lifted_by in rows]


def revocations(scope: Select, at: datetime, titles: dict[str, str]) -> list[dict]:
    by = aliased(User)
    rows = db.session.execute(
        select(Certificate.holder_name, Certificate.certification_slug, Certificate.code,
               CertificateRevocation.revoked_at, by.full_name, CertificateRevocation.reason)
        .select_from(Certificate)
        .join(CertificateRevocation, CertificateRevocation.certificate_id == Certificate.id)
        .join(by, CertificateRevocation.revoked_by_id == by.id)
        .where(Certificate.user_id.in_(scope), CertificateRevocation.revoked_at <= at)
        .order_by(CertificateRevocation.revoked_at, Certificate.id))
    return [{"person": name, "certification": titles.get(slug, slug), "code": code, "revoked": _day(when),
             "by": by_name, "reason": reason} for name, slug, code, when, by_name, reason in rows]


def attestations(scope: Select, at: datetime) -> list[dict]:
    rows = db.session.execute(
        select(User.full_name, PolicyVersion.version_label, PolicyAttestation.attested_at, PolicyAttestation.sha256)
        .select_from(PolicyAttestation)
        .join(User, PolicyAttestation.user_id == User.id)
        .join(PolicyVersion, PolicyAttestation.policy_version_id == PolicyVersion.id)
        .where(PolicyAttestation.user_id.in_(scope), PolicyAttestation.attested_at <= at)
        .order_by(PolicyAttestation.attested_at, PolicyAttestation.id))
    return [{"person": name, "version": version, "signed": _day(when), "sha256": digest[:16]}
            for name, version, when, digest in rows]

"""Issuing: decide what a person has earned and insert those certificates, signed.

The rules themselves are pure functions in app.certificates.rules; this module reads their inputs
and writes what they decide.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.audit.services import record
from app.certificates import codes, rules
from app.certificates.models import Certificate, CertificateRevocation
from app.certificates.services import signing_key
from app.certificates.signing import canonical_json
from app.courses.models import CourseVersion, Module, ModuleCompletion
from app.courses.services import current_version_ids
from app.extensions import db
from app.policy.services import attestation_of, policy_in_force
from app.unique_rows import add_once
from app.webhooks.outbox import announce_certificate, announce_rights

PAYLOAD_VERSION = 2  # 2: the holder's id beside their name


def renewal_window() -> timedelta:
    return timedelta(days=current_app.config["REFRESHER_LEAD_DAYS"])


@dataclass(frozen=True)
class CompletedModule:
    slug: str
    title: str
    completed_at: datetime
    version_label: str


def _latest_completions(user: User, course_id: int) -> dict[str, CompletedModule]:
    rows = db.session.execute(
        select(Module.slug, Module.title, ModuleCompletion.completed_at, CourseVersion.version_label)
        .join(Module, ModuleCompletion.module_id == Module.id)
        .join(CourseVersion, Module.course_version_id == CourseVersion.id)
        .where(ModuleCompletion.user_id == user.id, CourseVersion.course_id == course_id)
        .order_by(ModuleCompletion.completed_at)
    )
    return {row.slug: CompletedModule(*row) for row in rows}  # later rows win: the newest


def held_certificates(user_id: int) -> list[rules.HeldCertificate]:
    """The person's certificates as rule inputs."""
    rows = db.session.execute(
        select(Certificate.certification_slug, Certificate.issued_at, Certificate.expires_at,
               CertificateRevocation.revoked_at)
        .outerjoin(CertificateRevocation).where(Certificate.user_id == user_id)
    )
    return [rules.HeldCertificate(*row) for row in rows]


def _rule(certification) -> rules.CertificationRule:
    return rules.CertificationRule(certification.slug, tuple(certification.module_slugs),
                                   tuple(certification.requires))


def issue_earned_certificates(user: User, now: datetime, passed_module: str | None = None) -> list[Certificate]:
    """Issue every certificate the person has just earned. Caller commits.

    Certifications are checked in course order, so a platform certificate that
    needs the core one is issued right after it in the same call. With
    `passed_module`, nothing can be newly earned unless a certification that
    contains that module now has every module completed: most passes stop there.
    """
    versions = db.session.scalars(
        select(CourseVersion).where(CourseVersion.id.in_(current_version_ids())).order_by(CourseVersion.title)
        .options(selectinload(CourseVersion.certifications), selectinload(CourseVersion.course))
    )
    issued: list[Certificate] = []
    held: list[rules.HeldCertificate] | None = None
    attestation = None
    for version in versions:
        completions = _latest_completions(user, version.course_id)
        if passed_module is not None and not any(
            passed_module in c.module_slugs and all(m in completions for m in c.module_slugs)
            for c in version.certifications
        ):
            continue
        if held is None:
            policy = policy_in_force(now)
            attestation = attestation_of(user, policy) if policy is not None else None
            if policy is not None and attestation is None:
                return []  # certification waits until the policy in force is signed (app.policy)
            held = held_certificates(user.id)
        for certification in version.certifications:
            decision = rules.eligibility(_rule(certification), {k: v.completed_at for k, v in completions.items()},
                                         held, now, renewal_window())
            if not decision.earned:
                continue
            modules = [completions[m] for m in certification.module_slugs]
            row = _certificate_row(user, version, certification, modules, now, attestation)
            certificate = _insert_certificate(user, row)
            if certificate is not None:
                issued.append(certificate)
            # Held from now on: a platform certificate that needs this one is decided next.
            held.append(rules.HeldCertificate(certification.slug, now, rules.expiry(now, version.validity_days)))
    return issued


def _certificate_row(user: User, version: CourseVersion, certification, modules: list[CompletedModule],
                     now: datetime, attestation=None) -> dict:
    """The certificate's row, its payload signed: everything but the insert."""
    last_cycle = db.session.scalar(select(func.max(Certificate.cycle)).where(
        Certificate.user_id == user.id, Certificate.certification_slug == certification.slug))
    cycle = 1 + (last_cycle or 0)
    key = signing_key()
    # 160 random bits in Crockford base32, readable aloud and matched in any case; certificates issued
    # before had secrets.token_urlsafe(20), case-sensitive, and still verify exactly (app.certificates.codes).
    code = codes.new_code()
    expires_at = rules.expiry(now, version.validity_days)
    module_list = [
        {"slug": m.slug, "title": m.title, "completed_at": m.completed_at.isoformat(),
         "course_version": m.version_label}
        for m in modules
    ]
    signed_policy = attestation.policy_version if attestation is not None else None
    payload = canonical_json({
        **({"policy": {"version": signed_policy.version_label, "sha256": signed_policy.sha256,
                       "attested_at": attestation.attested_at.isoformat()}} if signed_policy else {}),
        "v": PAYLOAD_VERSION,
        "code": code,
        "organization": current_app.config["ORG_NAME"],
        "holder": user.full_name,
        "holder_id": user.id,
        "certification": certification.slug,
        "certification_title": certification.title,
        "course": version.course.slug,
        "course_version": version.version_label,
        "cycle": cycle,
        "modules": module_list,
        "issued_at": now.isoformat(),
        "expires_at": expires_at.isoformat(),
        "key_id": key.key_id,
    })
    return dict(
        code=code, user_id=user.id, certification_id=certification.id,
        certification_slug=certification.slug, course_version_id=version.id, cycle=cycle,
        holder_name=user.full_name, modules=module_list, issued_at=now, expires_at=expires_at,
        payload=payload, signature=key.sign(payload), key_id=key.key_id,
        policy_version_id=signed_policy.id if signed_policy else None,
    )


def _insert_certificate(user: User, row: dict) -> Certificate | None:
    # The unique (person, certification, cycle) key settles a race between two
    # requests that both earned the same certificate: the second one backs off.
    certificate = Certificate(**row)
    if not add_once(db.session, certificate):
        return None
    record("certificate.issued", actor=user, subject_type="certificate", subject_id=certificate.id, at=row["issued_at"],
           details={"certification": row["certification_slug"], "cycle": row["cycle"], "code": row["code"]})
    announce_certificate("certificate.issued", certificate, row["issued_at"], row["issued_at"])
    announce_rights([user.id], row["issued_at"])
    return certificate

"""Issuing: decide what a person has earned and insert those certificates, signed.

A quiz pass decides before the write lock (plan_certificates) and inserts under it
(issue_earned_certificates with the plan, if plan_still_holds); the rules themselves are pure
functions in app.certificates.rules.
"""
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, func, select

from app.accounts.models import User
from app.audit.services import record
from app.certificates import rules
from app.certificates.models import Certificate, CertificateRevocation
from app.certificates.services import signing_key
from app.certificates.signing import canonical_json
from app.courses.models import CourseVersion, Module, ModuleCompletion
from app.courses.services import current_version_ids
from app.database import PlainStatement, insert_once
from app.extensions import db
from app.reports.models import EvidenceVersion

CODE_BYTES = 20  # 160 random bits
PAYLOAD_VERSION = 1


def renewal_window() -> timedelta:
    return timedelta(days=current_app.config["REFRESHER_LEAD_DAYS"])


@dataclass(frozen=True)
class CompletedModule:
    slug: str
    title: str
    completed_at: datetime
    version_label: str


# The reads below run on every passed module (PlainStatement: through a SQLAlchemy Connection
# each cost about 90 µs around SQLite's 10-40; with the drawn questions, nearly a tenth of a
# submission's CPU).
_LATEST_COMPLETIONS = PlainStatement(
    select(Module.slug, Module.title, ModuleCompletion.completed_at, CourseVersion.version_label)
    .join(Module, ModuleCompletion.module_id == Module.id)
    .join(CourseVersion, Module.course_version_id == CourseVersion.id)
    .where(ModuleCompletion.user_id == bindparam("user_id"), CourseVersion.course_id == bindparam("course_id"))
    .order_by(ModuleCompletion.completed_at)
)


def _latest_completions(user: User, course_id: int) -> dict[str, CompletedModule]:
    rows = _LATEST_COMPLETIONS.rows(db.session, {"user_id": user.id, "course_id": course_id})
    return {row[0]: CompletedModule(*row) for row in rows}  # later rows win: the newest


_HELD = PlainStatement(
    select(Certificate.certification_slug, Certificate.issued_at, Certificate.expires_at,
           CertificateRevocation.revoked_at)
    .outerjoin(CertificateRevocation)
    .where(Certificate.user_id == bindparam("user_id"))
)


def held_certificates(user_id: int) -> list[rules.HeldCertificate]:
    """The person's certificates as rule inputs."""
    return [rules.HeldCertificate(*row) for row in _HELD.rows(db.session, {"user_id": user_id})]


@dataclass(frozen=True)
class CertificationSpec:
    """What issuing needs of a certification: its eligibility rule, and its id and title for the
    certificate. A version's certifications never change once loaded."""

    id: int
    title: str
    rule: rules.CertificationRule

    @property
    def slug(self) -> str:
        return self.rule.slug


@dataclass(frozen=True)
class IssuingVersion:
    """What issuing needs of a course version, with its certifications in course order."""

    id: int
    course_id: int
    course_slug: str
    title: str
    label: str
    validity_days: int
    certifications: tuple[CertificationSpec, ...]


def issuing_version(version_id: int) -> IssuingVersion:
    """Read once per process: a version never changes once loaded (a sync adds a new one), and
    loading it, its course and its certifications took a tenth of a submission's write lock."""
    cache = current_app.extensions.setdefault("postready.issuing_versions", {})
    found = cache.get(version_id)
    if found is None:
        v = db.session.get(CourseVersion, version_id)
        specs = tuple(
            CertificationSpec(c.id, c.title, rules.CertificationRule(c.slug, tuple(c.module_slugs), tuple(c.requires)))
            for c in v.certifications
        )
        found = cache[version_id] = IssuingVersion(v.id, v.course_id, v.course.slug, v.title, v.version_label,
                                                   v.validity_days, specs)
    return found


@dataclass(frozen=True)
class IssuingPlan:
    """The certificates a pass earns, decided before the write lock from one snapshot of the
    person's records (plan_certificates), and what that snapshot depended on."""

    evidence_version: int  # the person's: every completion, certificate and revocation bumps it
    newest_version_id: int  # of all course versions: a sync that adds one changes what is current
    rows: tuple[tuple[CertificationSpec, dict], ...]  # each certificate to insert, signed


# One statement, under the write lock: has anything a plan was decided on changed since?
_PLAN_INPUTS = PlainStatement(
    select(EvidenceVersion.version, select(func.max(CourseVersion.id)).scalar_subquery())
    .where(EvidenceVersion.user_id == bindparam("user_id")))


def _plan_inputs(user_id: int) -> tuple[int, int] | None:
    rows = _PLAN_INPUTS.rows(db.session, {"user_id": user_id})
    return rows[0] if rows else None


def plan_certificates(user: User, now: datetime, passed: CompletedModule, course_id: int) -> IssuingPlan | None:
    """Decide what passing `passed` (a module of course `course_id`, completed at `now`) earns,
    without writing: the read half of issuing, done before the write lock so that only the
    inserts queue. store_submission trusts it only while `plan_still_holds`."""
    inputs = _plan_inputs(user.id)  # first: anything committed after it shows as a changed version
    if inputs is None:
        return None
    rows = tuple((certification, _certificate_row(user, version, certification, modules, now))
                 for version, certification, modules in _earned(user, now, passed.slug, (course_id, passed)))
    return IssuingPlan(inputs[0], inputs[1], rows)


def plan_still_holds(user: User, plan: IssuingPlan | None) -> bool:
    """Under the write lock (SQLite) or the person's row lock (PostgreSQL), before this
    transaction adds any of the person's records: were the plan's inputs left unchanged?"""
    return plan is not None and _plan_inputs(user.id) == (plan.evidence_version, plan.newest_version_id)


def issue_earned_certificates(user: User, now: datetime, passed_module: str | None = None,
                              plan: IssuingPlan | None = None) -> list[Certificate]:
    """Issue every certificate the person has just earned. Caller commits.

    Certifications are checked in course order, so a platform certificate that
    needs the core one is issued right after it in the same call. With
    `passed_module`, nothing can be newly earned unless a certification that
    contains that module now has every module completed: most passes stop there.
    With a `plan` that plan_still_holds, its certificates are inserted without reading again.
    """
    if plan is not None:
        pairs = plan.rows
    else:
        pairs = tuple((certification, _certificate_row(user, version, certification, modules, now))
                      for version, certification, modules in _earned(user, now, passed_module))
    issued = [_insert_certificate(user, certification, row, now) for certification, row in pairs]
    return [certificate for certificate in issued if certificate is not None]


def _earned(user: User, now: datetime, passed_module: str | None,
            passing: tuple[int, CompletedModule] | None = None):
    """(version, certification, modules) for each certification now earned, in course order.
    `passing` counts a completion not stored yet: (its course id, the completion)."""
    held: list[rules.HeldCertificate] | None = None
    for version in sorted(map(issuing_version, current_version_ids()), key=lambda v: v.title):
        completions = _latest_completions(user, version.course_id)
        if passing is not None and passing[0] == version.course_id:
            completions[passing[1].slug] = passing[1]  # the newest: completed now
        if passed_module is not None and not any(
            passed_module in c.rule.module_slugs and all(m in completions for m in c.rule.module_slugs)
            for c in version.certifications
        ):
            continue
        if held is None:
            held = held_certificates(user.id)
        for certification in version.certifications:
            rule = certification.rule
            decision = rules.eligibility(
                rule, {k: v.completed_at for k, v in completions.items()}, held, now, renewal_window()
            )
            if not decision.earned:
                continue
            yield version, certification, [completions[m] for m in rule.module_slugs]
            # Held from now on: a platform certificate that needs this one is decided next.
            held.append(rules.HeldCertificate(certification.slug, now, rules.expiry(now, version.validity_days)))


_LAST_CYCLE = PlainStatement(
    select(func.max(Certificate.cycle))
    .where(Certificate.user_id == bindparam("user_id"), Certificate.certification_slug == bindparam("slug")))


def _certificate_row(user: User, version: IssuingVersion, certification: CertificationSpec,
                     modules: list[CompletedModule], now: datetime) -> dict:
    """The certificate's row, its payload signed: everything but the insert."""
    cycle = 1 + (_LAST_CYCLE.rows(db.session, {"user_id": user.id, "slug": certification.slug})[0][0] or 0)
    key = signing_key()
    code = secrets.token_urlsafe(CODE_BYTES)
    expires_at = rules.expiry(now, version.validity_days)
    module_list = [
        {"slug": m.slug, "title": m.title, "completed_at": m.completed_at.isoformat(), "course_version": m.version_label}
        for m in modules
    ]
    payload = canonical_json({
        "v": PAYLOAD_VERSION,
        "code": code,
        "organization": current_app.config["ORG_NAME"],
        "holder": user.full_name,
        "certification": certification.slug,
        "certification_title": certification.title,
        "course": version.course_slug,
        "course_version": version.label,
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
    )


def _insert_certificate(user: User, certification: CertificationSpec, row: dict, now: datetime) -> Certificate | None:
    # The unique (person, certification, cycle) key settles a race between two
    # requests that both earned the same certificate: the second one backs off.
    new_id = insert_once(db.session, Certificate, row, ["user_id", "certification_slug", "cycle"])
    if new_id is None:
        return None
    certificate = Certificate(id=new_id, **row)  # what was stored, for the caller (not in the session)
    record("certificate.issued", actor=user, subject_type="certificate", subject_id=certificate.id, at=now,
           details={"certification": certification.slug, "cycle": row["cycle"], "code": row["code"]})
    return certificate

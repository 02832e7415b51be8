"""Assignment services: onboarding, refreshers ahead of expiry, material course changes.

Each is idempotent (a unique dedupe key per assignment), so running them again,
or from two processes at once, never assigns the same thing twice.
"""
from datetime import datetime, time, timedelta, timezone

from flask import current_app
from sqlalchemy import func, select

from app.accounts.models import User
from app.assignments.models import SOURCES, Assignment, live_at
from app.certificates.models import Certificate, CertificateRevocation
from app.courses.models import CourseVersion, Module, ModuleCompletion
from app.extensions import db
from app.unique_rows import insert_ignoring_conflicts


def _insert_ignore(rows: list[dict]) -> int:
    """Insert assignments, skipping any whose dedupe key exists; returns how many were new."""
    return insert_ignoring_conflicts(db.session, Assignment, rows, ["dedupe_key"])


def _end_of_day(day) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=timezone.utc)


def onboarding_due(hire_date, now: datetime, days: int) -> datetime:
    """Hire date + days; someone added after that (e.g. existing staff imported) gets days from now."""
    due = _end_of_day((hire_date or now.date()) + timedelta(days=days))
    return due if due > now else _end_of_day(now.date() + timedelta(days=days))


def assign_onboarding(person: User, now: datetime, actor: User | None = None) -> int:
    """Assign the onboarding certifications to a new hire, due hire date + ONBOARDING_DUE_DAYS."""
    config = current_app.config
    due = onboarding_due(person.hire_date, now, config["ONBOARDING_DUE_DAYS"])
    return _insert_ignore([
        {"user_id": person.id, "certification_slug": slug, "reason": "onboarding", "assigned_at": now,
         "due_at": due, "module_slugs": [], "assigned_by_id": actor.id if actor else None, "note": "",
         "dedupe_key": f"onboarding:{slug}:{person.id}"}
        for slug in config["ONBOARDING_CERTIFICATIONS"]
    ])


def _required(user_id, slug):
    """The certification is required of the person now: a live assignment from a source."""
    return select(Assignment.id).where(Assignment.user_id == user_id, Assignment.certification_slug == slug,
                                       Assignment.reason.in_(SOURCES), live_at()).exists()


def assign_refreshers(now: datetime) -> int:
    """Assign the refresher for every latest certificate that expires within REFRESHER_LEAD_DAYS,
    of a certification the person is still required to hold (an optional one just lapses)."""
    lead = timedelta(days=current_app.config["REFRESHER_LEAD_DAYS"])
    latest = (
        select(Certificate.user_id, Certificate.certification_slug, func.max(Certificate.cycle).label("cycle"))
        .group_by(Certificate.user_id, Certificate.certification_slug).subquery()
    )
    rows = db.session.execute(
        select(Certificate.id, Certificate.user_id, Certificate.certification_slug, Certificate.expires_at)
        .join(latest, (Certificate.user_id == latest.c.user_id)
              & (Certificate.certification_slug == latest.c.certification_slug)
              & (Certificate.cycle == latest.c.cycle))
        .join(User, User.id == Certificate.user_id)
        .outerjoin(CertificateRevocation)
        .where(User.active, CertificateRevocation.id.is_(None), Certificate.expires_at <= now + lead,
               _required(Certificate.user_id, Certificate.certification_slug))
    ).all()
    return _insert_ignore([
        {"user_id": uid, "certification_slug": slug, "reason": "refresher", "assigned_at": now,
         "due_at": max(expires, now), "module_slugs": [], "assigned_by_id": None,
         "note": "Annual refresher", "dedupe_key": f"refresher:certificate:{cid}"}
        for cid, uid, slug, expires in rows
    ])


def changed_modules(version: CourseVersion) -> list[str]:
    """Module slugs whose content differs from the previous version of the course (or that are new)."""
    previous = db.session.scalar(
        select(CourseVersion).where(CourseVersion.course_id == version.course_id, CourseVersion.id < version.id)
        .order_by(CourseVersion.id.desc()).limit(1)
    )
    if previous is None:
        return []
    before = {m.slug: m.content_hash for m in previous.modules}
    return [m.slug for m in version.modules if before.get(m.slug) != m.content_hash]


def assign_material_change(version: CourseVersion, now: datetime) -> int:
    """After a material change, ask everyone who completed a changed module to retake it, for the
    certifications required of them.

    A minor change assigns nothing: existing completions and certificates stand.
    """
    if version.change_kind != "material":
        return 0
    changed = set(changed_modules(version))
    if not changed:
        return 0
    due = _end_of_day((now + timedelta(days=current_app.config["MATERIAL_CHANGE_GRACE_DAYS"])).date())
    affected = db.session.execute(
        select(ModuleCompletion.user_id, Module.slug).distinct()
        .join(Module, ModuleCompletion.module_id == Module.id)
        .join(CourseVersion, Module.course_version_id == CourseVersion.id)
        .join(User, User.id == ModuleCompletion.user_id)
        .where(CourseVersion.course_id == version.course_id, CourseVersion.id < version.id,
               Module.slug.in_(changed), User.active)
    ).all()
    by_person: dict[int, set[str]] = {}
    for uid, slug in affected:
        by_person.setdefault(uid, set()).add(slug)
    required = set(db.session.execute(
        select(Assignment.user_id, Assignment.certification_slug)
        .where(Assignment.user_id.in_(list(by_person)), Assignment.reason.in_(SOURCES), live_at())).all())
    rows = []
    for uid, slugs in by_person.items():
        for cert in version.certifications:
            modules = sorted(slugs & set(cert.module_slugs))
            if modules and (uid, cert.slug) in required:
                rows.append({
                    "user_id": uid, "certification_slug": cert.slug, "reason": "material-change",
                    "assigned_at": now, "due_at": due, "module_slugs": modules, "assigned_by_id": None,
                    "note": f"Course version {version.version_label} changed these modules materially",
                    "dedupe_key": f"material:{version.id}:{uid}:{cert.slug}",
                })
    return _insert_ignore(rows)

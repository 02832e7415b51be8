"""Check and apply a staff import: all of it in one transaction, or none of it.

On the web an admin uploads once: `check_upload` is the dry run and keeps the file (kept_uploads.py);
`apply_upload` plans that same file again over the records as they are now and applies it only if
the plan is still the one the admin saw and confirmed. The CLI uses `import_staff`.
"""
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.accounts.models import Department, User
from app.accounts.placements import placement_of, record_placements
from app.accounts.services import department_named
from app.assignments.requirements import (
    certification_titles,
    live_assignments,
    optional_certifications,
    set_hr_platforms,
    sync_requirements,
)
from app.assignments.services import assign_onboarding
from app.audit.services import record
from app.extensions import db
from app.permissions import can_manage_people
from app.staff import kept_uploads
from app.staff.csv_import import PlatformNames, Platforms, RowError, parse_staff_csv
from app.staff.kept_uploads import KeptUpload, UploadGone
from app.staff.plan import ExistingPerson, ImportPlan, fingerprint, plan_import
from app.webhooks.outbox import announce_deactivated, announce_rights

__all__ = ["ImportOutcome", "ImportRefused", "ImportReview", "UploadGone", "apply_upload", "check_upload",
           "import_staff"]


class ImportRefused(Exception):
    pass


@dataclass(frozen=True)
class ImportOutcome:
    plan: ImportPlan
    applied: bool

    @property
    def summary(self) -> str:
        p = self.plan
        verb = "Applied" if self.applied else "Would apply"
        return (f"{verb}: {len(p.creates)} to create, {len(p.updates)} to change, "
                f"{len(p.deactivations)} to deactivate, {len(p.reactivations)} to reactivate, "
                f"{len(p.unchanged)} unchanged; {len(p.errors)} error(s), {len(p.warnings)} warning(s).")


@dataclass(frozen=True)
class ImportReview:
    """What the import page shows after an upload or an attempt to apply one."""

    outcome: ImportOutcome
    fingerprint: str                  # of the plan shown: what "Apply these changes" confirms
    upload: KeptUpload | None = None  # kept for applying; None when there is nothing to apply
    refusal: str = ""                 # why an attempt to apply did not apply
    changed_since: bool = False       # the refusal is that the plan is no longer the one the admin saw


def existing_people() -> list[ExistingPerson]:
    manager = aliased(User)
    rows = db.session.execute(
        select(User.id, User.email, User.full_name, Department.name, manager.email, User.role, User.hire_date,
               User.active)
        .outerjoin(Department, User.department_id == Department.id)
        .outerjoin(manager, User.manager_id == manager.id)
    )
    platforms = defaultdict(set)  # everyone's at once: one query, not one per person
    for assignment in live_assignments():
        if assignment.reason == "hr-import":
            platforms[assignment.user_id].add(assignment.certification_slug)
    return [ExistingPerson(i, e, n, d or "", m, r, h, a, Platforms(platforms[i])) for i, e, n, d, m, r, h, a in rows]


def platform_names() -> PlatformNames:
    """The names a staff file's platforms column may use: the certifications in force."""
    platforms = optional_certifications()
    everyone = {slug: title for slug, title in certification_titles().items() if slug not in platforms}
    return PlatformNames(platforms, everyone)


def _plan(actor: User, data: bytes) -> ImportPlan:
    """The file's plan over the records as they are now, refusing a row that ends the actor's own admin access."""
    if not can_manage_people(actor):
        raise ImportRefused("Only an administrator can import staff.")
    plan = plan_import(parse_staff_csv(data, platform_names()), existing_people())
    plan = _without_scim_people(plan)
    own = next((p for p in plan.people if p.person_id == actor.id), None)
    if own is not None and (own.row.status != "active" or own.row.role != "admin"):
        plan = ImportPlan(plan.people, tuple(sorted(
            plan.errors + (RowError(own.line, "role", "This row would remove your own administrator access; "
                                    "ask another administrator to make that change."),),
            key=lambda e: (e.line or 0))), plan.warnings)
    return plan


def _without_scim_people(plan: ImportPlan) -> ImportPlan:
    """With STAFF_SOURCE=scim the identity provider keeps the records of the people SCIM manages: a row
    that would change one of them is an error, naming its line (a row that matches them changes nothing)."""
    if current_app.config["STAFF_SOURCE"] != "scim":
        return plan
    managed = set(db.session.scalars(select(User.id).where(User.scim_managed)))
    refused = tuple(RowError(p.line, "email", f"{p.email} is kept by your identity provider through SCIM "
                                               "(STAFF_SOURCE=scim). Change them there, or take this row out.")
                    for p in plan.people if p.person_id in managed and p.action != "unchanged")
    if not refused:
        return plan
    errors = sorted(plan.errors + refused, key=lambda e: (e.line is not None, e.line or 0))
    return ImportPlan(plan.people, tuple(errors), plan.warnings)


def _apply_and_record(plan: ImportPlan, actor: User, data: bytes, now: datetime) -> ImportOutcome:
    _apply(plan, actor, now)
    record("staff.imported", actor=actor, subject_type="file", subject_id=hashlib.sha256(data).hexdigest()[:64],
           at=now, details={"created": len(plan.creates), "changed": len(plan.updates),
                            "deactivated": len(plan.deactivations), "reactivated": len(plan.reactivations)})
    return ImportOutcome(plan, True)


def import_staff(actor: User, data: bytes, now: datetime, dry_run: bool) -> ImportOutcome:
    """Plan the import; unless dry_run (or the plan has errors), apply it. The caller commits."""
    plan = _plan(actor, data)
    if dry_run or not plan.ok:
        return ImportOutcome(plan, False)
    return _apply_and_record(plan, actor, data, now)


def check_upload(actor: User, filename: str, data: bytes, now: datetime) -> ImportReview:
    """The dry run of an upload. A sound file that changes something is kept for `apply_upload`;
    the admin's earlier uploads, and everyone's expired ones, are removed."""
    plan = _plan(actor, data)
    kept_uploads.discard(actor.id, now)
    upload = None
    if plan.ok and plan.changes_anything:
        upload = kept_uploads.keep(actor.id, filename, data, now)
    return ImportReview(ImportOutcome(plan, False), fingerprint(plan), upload)


def apply_upload(actor: User, token: str, seen: str, confirmed: bool, now: datetime) -> ImportReview:
    """Apply the admin's kept upload if its plan over the records as they are now is still the one they
    saw (`seen`, its fingerprint) and they confirmed it; otherwise say why and show the plan as it is now.
    Raises UploadGone when the token names no upload this admin may apply. The caller commits."""
    upload = kept_uploads.load(token, actor.id, now)
    plan = _plan(actor, upload.data)
    shown = fingerprint(plan)
    if not plan.ok or not plan.changes_anything:
        kept_uploads.take(upload)  # it can no longer be applied: keep it no longer
        why = ("it now has problems against PostReady's records, which changed since the dry run; "
               "fix them and upload the file again" if not plan.ok else
               "PostReady's records already match it (they changed since the dry run)")
        return ImportReview(ImportOutcome(plan, False), shown, refusal=f"Nothing was applied: {why}.",
                            changed_since=True)
    if shown != seen:
        return ImportReview(ImportOutcome(plan, False), shown, upload, refusal=(
            "Nothing was applied: PostReady's records changed since the dry run, so this file would now make "
            "different changes. Check the result below; if it is right, confirm and apply it again."),
            changed_since=True)
    if not confirmed:
        return ImportReview(ImportOutcome(plan, False), shown, upload, refusal=(
            "Nothing was applied yet: tick the box to confirm these changes, then apply them."))
    if not kept_uploads.take(upload):
        raise UploadGone("This upload is being applied or was applied already; see the People list.")
    return ImportReview(_apply_and_record(plan, actor, upload.data, now), shown)


def _apply(plan: ImportPlan, actor: User, now: datetime) -> None:
    people = {u.email: u for u in db.session.scalars(select(User))}
    placed_before = {u.email: placement_of(u) for u in people.values()}
    created: list[User] = []
    with db.session.no_autoflush:
        for planned in plan.creates:
            row = planned.row
            # no password: they choose one from the invitation sent after the commit
            user = User(email=row.email, full_name=row.full_name, role=row.role, hire_date=row.hire_date,
                        department=department_named(row.department), active=True)
            db.session.add(user)
            people[row.email] = user
            created.append(user)
        for planned in plan.updates + plan.deactivations + plan.reactivations:
            user, row = people[planned.email], planned.row
            for change in planned.changes:
                if change.field == "department":
                    user.department = department_named(change.new or "")
                elif change.field != "manager_email":
                    if change.field == "role" and user.role != change.new:
                        user.end_all_sessions()
                    setattr(user, change.field, change.new)
            if planned.action == "deactivate":
                user.active, user.deactivated_at = False, now
                user.end_all_sessions()  # sessions end and rights stop at once
            elif planned.action == "reactivate":
                user.active, user.deactivated_at = True, None
    db.session.flush()
    # Managers last: a file may create a manager together with their reports.
    for planned in plan.creates + plan.updates + plan.deactivations + plan.reactivations:
        if planned.action == "create" or any(c.field == "manager_email" for c in planned.changes):
            email = planned.row.manager_email
            people[planned.email].manager = people[email] if email else None
    db.session.flush()
    moved = [u for email, u in people.items() if email in placed_before and placement_of(u) != placed_before[email]]
    record_placements(created + moved, now, actor)
    for planned in plan.deactivations:  # the same announcements as a deactivation by hand or by SCIM
        announce_deactivated(people[planned.email], now)
    announce_rights([people[p.email].id for p in plan.deactivations + plan.reactivations], now)
    for user in created:
        assign_onboarding(user, now, actor)
    # After the flush above: the HR file's platforms need each created person's id.
    for planned in plan.creates + plan.updates + plan.deactivations + plan.reactivations:
        changed = any(c.field == "platforms" for c in planned.changes)  # a create lists no changes
        if changed or (planned.action == "create" and planned.row.platforms):
            set_hr_platforms(actor, people[planned.email], set(planned.row.platforms), now)
    # The admin's rules for each new, moved or returning person's department and role, in one pass.
    touched = [people[p.email].id for p in plan.creates + plan.updates + plan.reactivations]
    if touched:
        sync_requirements(now, actor, touched)

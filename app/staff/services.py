"""Apply a staff import: all of it in one transaction, or none of it."""
import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.accounts.models import Department, User
from app.accounts.placements import placement_of, record_placements
from app.accounts.services import department_named
from app.assignments.services import assign_onboarding
from app.audit.services import record
from app.extensions import db
from app.permissions import can_manage_people
from app.staff.csv_import import RowError, parse_staff_csv
from app.staff.plan import ExistingPerson, ImportPlan, plan_import


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


def existing_people() -> list[ExistingPerson]:
    manager = aliased(User)
    rows = db.session.execute(
        select(User.id, User.email, User.full_name, Department.name, manager.email, User.role, User.hire_date,
               User.active)
        .outerjoin(Department, User.department_id == Department.id)
        .outerjoin(manager, User.manager_id == manager.id)
    )
    return [ExistingPerson(i, e, n, d or "", m, r, h, a) for i, e, n, d, m, r, h, a in rows]


def import_staff(actor: User, data: bytes, now: datetime, dry_run: bool) -> ImportOutcome:
    """Plan the import; unless dry_run (or the plan has errors), apply it. The caller commits."""
    if not can_manage_people(actor):
        raise ImportRefused("Only an administrator can import staff.")
    plan = plan_import(parse_staff_csv(data), existing_people())
    own = next((p for p in plan.people if p.person_id == actor.id), None)
    if own is not None and (own.row.status != "active" or own.row.role != "admin"):
        plan = ImportPlan(plan.people, tuple(sorted(
            plan.errors + (RowError(own.line, "role", "This row would remove your own administrator access; "
                                    "ask another administrator to make that change."),),
            key=lambda e: (e.line or 0))), plan.warnings)
    if dry_run or not plan.ok:
        return ImportOutcome(plan, False)
    _apply(plan, actor, now)
    record("staff.imported", actor=actor, subject_type="file", subject_id=hashlib.sha256(data).hexdigest()[:64],
           at=now, details={"created": len(plan.creates), "changed": len(plan.updates),
                            "deactivated": len(plan.deactivations), "reactivated": len(plan.reactivations)})
    return ImportOutcome(plan, True)


def _apply(plan: ImportPlan, actor: User, now: datetime) -> None:
    people = {u.email: u for u in db.session.scalars(select(User))}
    placed_before = {u.email: placement_of(u) for u in people.values()}
    created: list[User] = []
    with db.session.no_autoflush:
        for planned in plan.creates:
            row = planned.row
            user = User(email=row.email, full_name=row.full_name, role=row.role, hire_date=row.hire_date,
                        department=department_named(row.department), active=True, must_change_password=True)
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
    for user in created:
        assign_onboarding(user, now, actor)

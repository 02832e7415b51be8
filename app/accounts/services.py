"""Account services. Each takes the acting user explicitly; the caller commits."""
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.emails import EmailProblem, check_email, normalize_email
from app.accounts.models import Department, Role, User
from app.accounts.names import NameProblem, check_name
from app.accounts.passwords import check_password_policy, hash_password, needs_rehash, verify_password
from app.accounts.placements import placement_of, record_placements
from app.accounts.reporting_line import reporting_line_query
from app.audit.services import record
from app.extensions import db
from app.permissions import can_manage_people, manages
from app.webhooks.outbox import announce_deactivated, announce_rights


class AccountError(Exception):
    """A refused account change; the message is shown to the person."""


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


class PersonRef(NamedTuple):
    id: int
    email: str
    active: bool


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (same answer for every failure)."""
    user = find_by_email(email)
    ok = verify_password(user.password_hash if user else None, password)
    # With PASSWORD_LOGIN off, only break-glass people may use a password (everyone else uses SSO).
    allowed = user is not None and (current_app.config["PASSWORD_LOGIN"] or user.break_glass)
    if not ok or not allowed or not user.active:
        record("login.failure", actor_label="anonymous", subject_type="email", subject_id=normalize_email(email)[:80])
        return None
    record("login.success", actor=user, subject_type="user", subject_id=user.id)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def department_named(name: str) -> Department | None:
    name = " ".join(name.split())
    if not name:
        return None
    pending = (d for d in db.session.new if isinstance(d, Department) and d.name == name)
    department = next(pending, None) or db.session.scalar(select(Department).where(Department.name == name))
    if department is None:
        department = Department(name=name)
        db.session.add(department)
    return department


@dataclass
class PersonFields:
    email: str
    full_name: str
    role: str
    manager_id: int | None
    department: str
    hire_date: date | None


def _require_admin(actor) -> None:
    if not can_manage_people(actor):
        raise AccountError("Only an administrator can change people's accounts.")


def _apply(person: User, fields: PersonFields) -> None:
    """Validate the fields, then set them. All look-ups happen before person is touched."""
    if fields.role not in set(Role):
        raise AccountError(f"Unknown role {fields.role!r}.")
    with db.session.no_autoflush:
        manager = db.session.get(User, fields.manager_id) if fields.manager_id else None
        if fields.manager_id and manager is None:
            raise AccountError("The chosen manager does not exist.")
        if manager is not None and person.id is not None:
            if manager.id == person.id or manages(person, manager):
                raise AccountError("That manager reports to this person; a reporting line cannot loop.")
        department = department_named(fields.department)
    try:
        email, full_name = check_email(fields.email), check_name(fields.full_name)
    except (EmailProblem, NameProblem) as exc:
        raise AccountError(str(exc)[0].upper() + str(exc)[1:] + ".") from None
    person.email = email
    person.full_name = full_name
    person.role = fields.role
    person.manager = manager
    person.department = department
    person.hire_date = fields.hire_date


def check_new_password(password: str, email: str) -> None:
    check = check_password_policy(password, email)
    if not check.ok:
        raise AccountError(" ".join(check.problems))


def _flush_unique_email() -> None:
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise AccountError("Someone already has that email address.") from None


def create_person(actor, fields: PersonFields, now: datetime) -> User:
    """A new person with their onboarding assigned and no password yet: they choose one from the
    invitation the caller emails after committing (app.accounts.invitations)."""
    _require_admin(actor)
    return add_person(fields, now, actor)


def add_person(fields: PersonFields, now: datetime, actor: User | None = None, actor_label: str | None = None) -> User:
    """create_person's work, for a caller that checked who acts: an admin, or (actor None, named by
    actor_label) a provisioning token (app.scim)."""
    from app.assignments.requirements import sync_requirements
    from app.assignments.services import assign_onboarding

    if find_by_email(fields.email):
        raise AccountError("Someone already has that email address.")
    person = User(must_change_password=False, password_hash=None)
    _apply(person, fields)
    db.session.add(person)
    _flush_unique_email()
    record_placements([person], now, actor)
    assign_onboarding(person, now, actor)
    sync_requirements(now, actor, [person.id])  # the rules for their department and role
    record("person.created", actor=actor, actor_label=actor_label, subject_type="user", subject_id=person.id,
           details={"email": person.email, "role": person.role})
    return person


def _audited_fields(person: User) -> dict:
    """What an edit of a person records, before and after (ids and names, never a password)."""
    return {"email": person.email, "full_name": person.full_name, "role": str(person.role),
            "manager_id": person.manager.id if person.manager else None,
            "department": person.department.name if person.department else None,
            "hire_date": person.hire_date.isoformat() if person.hire_date else None}


def update_person(actor, person: User, fields: PersonFields, now: datetime) -> User:
    _require_admin(actor)
    if person.id == actor.id and fields.role != Role.ADMIN:
        raise AccountError("You cannot remove your own administrator role.")
    change_person(person, fields, now, actor)
    person.needs_review = False  # an admin has looked at them (one created by single sign-on)
    return person


def change_person(person: User, fields: PersonFields, now: datetime, actor: User | None = None,
                  actor_label: str | None = None) -> dict:
    """update_person's work, for a caller that checked who acts (see add_person). Returns what changed."""
    old_role, old_placement, before = person.role, placement_of(person), _audited_fields(person)
    _apply(person, fields)
    if person.role != old_role:
        person.end_all_sessions()  # a new role starts with a fresh login
        record("person.role_changed", actor=actor, actor_label=actor_label, subject_type="user",
               subject_id=person.id, details={"from": old_role, "to": person.role})
    after = _audited_fields(person)
    changed = {name: [before[name], after[name]] for name in after if before[name] != after[name]}
    record("person.updated", actor=actor, actor_label=actor_label, subject_type="user", subject_id=person.id,
           details={"changed": changed})
    _flush_unique_email()
    if placement_of(person) != old_placement:
        record_placements([person], now, actor)
    if (before["department"], before["role"]) != (after["department"], after["role"]):
        from app.assignments.requirements import sync_requirements

        sync_requirements(now, actor, [person.id])  # another department's or role's rules apply now
    return changed


def deactivate_person(actor, person: User, now: datetime) -> None:
    _require_admin(actor)
    if person.id == actor.id:
        raise AccountError("You cannot deactivate your own account.")
    deactivate_account(person, now, actor)


def deactivate_account(person: User, now: datetime, actor: User | None = None, actor_label: str | None = None) -> None:
    """deactivate_person's work (see add_person): sessions end, so rights stop at once."""
    if person.active:
        person.active = False
        person.deactivated_at = now
        person.end_all_sessions()
        record_placements([person], now, actor)
        record("person.deactivated", actor=actor, actor_label=actor_label, subject_type="user",
               subject_id=person.id, at=now)
        announce_deactivated(person, now)
        announce_rights([person.id], now)


def reactivate_person(actor, person: User, now: datetime) -> None:
    _require_admin(actor)
    reactivate_account(person, now, actor)


def reactivate_account(person: User, now: datetime, actor: User | None = None, actor_label: str | None = None) -> None:
    """reactivate_person's work (see add_person)."""
    if not person.active:
        person.active = True
        person.deactivated_at = None
        record_placements([person], now, actor)
        from app.assignments.requirements import sync_requirements

        sync_requirements(now, actor, [person.id])
        record("person.reactivated", actor=actor, actor_label=actor_label, subject_type="user",
               subject_id=person.id, at=now)
        announce_rights([person.id], now)


def change_own_password(user: User, current_password: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current_password):
        raise AccountError("Your current password is not right.")
    if current_password == new_password:
        raise AccountError("Choose a new password that differs from the current one.")
    check_new_password(new_password, user.email)
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.end_all_sessions()  # other devices sign in again; the caller logs this one back in
    record("password.changed", actor=user, subject_type="user", subject_id=user.id)


def reporting_line(manager: User, include_inactive: bool = True) -> list[User]:
    query = select(User).where(User.id.in_(reporting_line_query(manager.id))).order_by(User.full_name, User.id)
    if not include_inactive:
        query = query.where(User.active)
    return list(db.session.scalars(query))


def set_time_zone(user: User, name: str | None) -> None:
    """The person's own time zone for every date shown to them (None: the organisation's). Caller commits."""
    from app.localtime import UnknownTimeZone, zone_named

    if name:
        try:
            zone_named(name)
        except UnknownTimeZone as exc:
            raise AccountError(str(exc)) from None
    user.timezone = name or None
    record("person.time_zone_set", actor=user, subject_type="user", subject_id=user.id,
           details={"time_zone": user.timezone})


def set_break_glass(actor, person: User, on: bool, now: datetime) -> None:
    """Whether this person may sign in with a password when PASSWORD_LOGIN is off. While it is off,
    at least one active admin keeps it: the way back in when single sign-on is down."""
    _require_admin(actor)
    if on and not person.active:
        raise AccountError("A deactivated person cannot be a break-glass account.")
    if not on and person.break_glass and not current_app.config["PASSWORD_LOGIN"]:
        others = db.session.scalar(select(User.id).where(User.role == Role.ADMIN, User.active, User.break_glass,
                                                         User.id != person.id).limit(1))
        if others is None:
            raise AccountError("Password sign-in is off: keep at least one active admin who can still use a "
                               "password, or nobody can get in when single sign-on is down.")
    if person.break_glass != on:
        person.break_glass = on
        record("person.break_glass_on" if on else "person.break_glass_off", actor=actor, subject_type="user",
               subject_id=person.id, at=now)


def break_glass_admins() -> list[User]:
    return list(db.session.scalars(select(User).where(User.break_glass, User.active).order_by(User.full_name)))

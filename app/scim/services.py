"""Provisioning by SCIM: the same records as the HR import and the admin's forms (app/accounts/services.py
does the work), with a token, not a person, as the actor. The caller commits once per request; a refusal
rolls the request back, so nothing is half-applied.

DELETE deactivates the person and hides them from SCIM (RFC 7644 §3.6: later requests for them get 404);
their training, certificates and audit trail stay. Creating the same userName (or address) again brings
the same person back, reactivated, with the same id.

userName is stored as sent (users.scim_user_name) and unique without regard to case (RFC 7643:
caseExact false); a person SCIM never sent one for has their address as userName.
"""
from dataclasses import dataclass
from datetime import datetime

from scim2_models import UniquenessException
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.accounts.emails import EmailProblem, check_email, normalize_email
from app.accounts.models import Role, User
from app.accounts.names import NameProblem, check_name
from app.accounts.services import (
    AccountError,
    PersonFields,
    add_person,
    change_person,
    deactivate_account,
    find_by_email,
    reactivate_account,
)
from app.audit.services import record
from app.extensions import db
from app.scim.mapping import PersonRecord, WantedPerson


class ProvisioningError(ValueError):
    """A change PostReady refuses; the message says why (the provider's log shows it)."""


@dataclass(frozen=True)
class ScimActor:
    """The token a SCIM request came with: audit events name it, since it is not a person."""

    token_id: int
    token_name: str

    @property
    def label(self) -> str:
        return f"scim token {self.token_name}"[:80]


def record_of(person: User) -> PersonRecord:
    return PersonRecord(person.id, person.email, person.scim_user_name or person.email, person.full_name,
                        bool(person.active), person.external_id,
                        person.employee_number, person.department.name if person.department else None,
                        person.manager_id, person.created_at)


def with_user_name(user_name: str) -> User | None:
    """The person SCIM shows with this userName (any case), deleted by SCIM or not."""
    shown = or_(func.lower(User.scim_user_name) == user_name.strip().lower(),
                and_(User.scim_user_name.is_(None), User.email == normalize_email(user_name)))
    return db.session.scalars(select(User).where(shown).order_by(User.id).limit(1)).first()


def visible_person(scim_id: str) -> User | None:
    """The person with this SCIM id, unless there is none or SCIM deleted them."""
    if not scim_id.isdigit() or len(scim_id) > 18:
        return None
    person = db.session.get(User, int(scim_id))
    return person if person is not None and person.scim_deleted_at is None else None


def search(condition, start_index: int, count: int) -> tuple[int, list[User]]:
    """How many people match, and the page of them from start_index (1-based), oldest first."""
    where = (User.scim_deleted_at.is_(None), condition)
    total = db.session.scalar(select(func.count()).select_from(User).where(*where))
    if count == 0:
        return total, []
    page = db.session.scalars(select(User).where(*where).options(selectinload(User.department))  # one query for all
                              .order_by(User.id).offset(start_index - 1).limit(count))
    return total, list(page)


def manager_id(reference: str | None) -> int | None:
    """The manager a request names: by SCIM id (what Entra ID sends), else by externalId or work address
    (what an Okta mapping can send)."""
    if reference is None:
        return None
    if reference.isdigit() and len(reference) <= 18 and db.session.get(User, int(reference)) is not None:
        return int(reference)
    by_external_id = list(db.session.scalars(select(User.id).where(User.external_id == reference).limit(2)))
    if len(by_external_id) == 1:
        return by_external_id[0]
    by_address = find_by_email(reference)
    if by_address is not None:
        return by_address.id
    raise ProvisioningError(f"The manager {reference!r} is nobody in PostReady: send the manager's SCIM id "
                            "(their \"id\" here), externalId or work address, and provision the manager first.")


def _fields(person: User | None, wanted: WantedPerson) -> PersonFields:
    """The fields the account services take: the role and hire date stay as they are (SCIM sends neither)."""
    return PersonFields(email=wanted.email, full_name=wanted.full_name,
                        role=person.role if person else Role.EMPLOYEE, manager_id=manager_id(wanted.manager),
                        department=wanted.department, hire_date=person.hire_date if person else None)


def _check_unique(wanted: WantedPerson, person: User | None) -> None:
    other = with_user_name(wanted.user_name)
    if other is not None and other is not person:
        raise UniquenessException(detail=f"Another person in PostReady has the userName {wanted.user_name} "
                                         f"(SCIM id {other.id}). Each person needs their own userName.")
    other = find_by_email(wanted.email)
    if other is not None and other is not person:
        raise UniquenessException(detail=f"Another person in PostReady has the address {other.email} "
                                         f"(SCIM id {other.id}). Each person needs their own email address.")


def _set_identifiers(person: User, wanted: WantedPerson, actor: ScimActor, now: datetime) -> None:
    # userName as SCIM shows it: one never sent is the address, so sending that records nothing.
    before = {"external_id": person.external_id, "employee_number": person.employee_number,
              "user_name": person.scim_user_name or person.email}
    after = {"external_id": wanted.external_id, "employee_number": wanted.employee_number,
             "user_name": wanted.user_name}
    person.scim_managed, person.scim_user_name = True, wanted.user_name
    try:  # two requests may race for one userName: the unique index decides
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise UniquenessException(detail=f"Another person in PostReady has the userName {wanted.user_name}.") from None
    if before != after:
        person.external_id, person.employee_number = wanted.external_id, wanted.employee_number
        record("person.identifiers_changed", actor_label=actor.label, subject_type="user", subject_id=person.id,
               at=now, details={k: [before[k], after[k]] for k in after if before[k] != after[k]})


def _set_active(person: User, active: bool, actor: ScimActor, now: datetime) -> None:
    if active:
        reactivate_account(person, now, actor_label=actor.label)
    else:
        deactivate_account(person, now, actor_label=actor.label)  # sessions end, rights stop at once


def create(actor: ScimActor, wanted: WantedPerson, now: datetime) -> tuple[User, bool]:
    """A new person (onboarding assigned, invited by the caller after the commit), one SCIM deleted
    before, brought back, or one the HR file or an admin added before SCIM was switched on (the same
    address), taken over. Returns the person and whether they are new."""
    existing = with_user_name(wanted.user_name) or find_by_email(wanted.email)
    if existing is not None and existing.scim_deleted_at is None and existing.scim_user_name is None:
        # Entra ID looks people up by userName (its UPN), which finds no one whose address differs:
        # taking them over here is what lets SCIM be switched on after the HR import.
        record("person.scim_linked", actor_label=actor.label, subject_type="user", subject_id=existing.id, at=now,
               details={"userName": wanted.user_name})
        update(actor, existing, wanted, now)
        return existing, False
    if existing is not None and existing.scim_deleted_at is None:
        raise UniquenessException(detail=f"{wanted.user_name} ({existing.email}) is already in PostReady "
                                         f"(SCIM id {existing.id}). Match people on userName before creating them.")
    if existing is not None:
        existing.scim_deleted_at = None
        record("person.scim_restored", actor_label=actor.label, subject_type="user", subject_id=existing.id, at=now)
        update(actor, existing, wanted, now)
        return existing, False
    try:
        person = add_person(_fields(None, wanted), now, actor_label=actor.label)
    except AccountError as exc:
        if find_by_email(wanted.email) is not None:  # another request created them a moment ago
            raise UniquenessException(detail=f"{wanted.email} is already in PostReady.") from None
        raise ProvisioningError(str(exc)) from None
    _set_identifiers(person, wanted, actor, now)
    if not wanted.active:
        _set_active(person, False, actor, now)
    return person, True


def _differs(person: User, fields: PersonFields) -> bool:
    """Whether the fields change the person, compared in the form PostReady stores them (a sync that
    sends the same values again records nothing)."""
    try:
        email, name = check_email(fields.email), check_name(fields.full_name)
    except (EmailProblem, NameProblem):
        return True  # change_person says what is wrong
    department = person.department.name if person.department else ""
    return (person.email, person.full_name, person.manager_id, department) != (
        email, name, fields.manager_id, " ".join(fields.department.split()))


def update(actor: ScimActor, person: User, wanted: WantedPerson, now: datetime) -> None:
    """Give the person what the request asks for (PUT, PATCH), recording only what changes."""
    _check_unique(wanted, person)
    fields = _fields(person, wanted)
    if _differs(person, fields):
        try:
            change_person(person, fields, now, actor_label=actor.label)
        except AccountError as exc:
            raise ProvisioningError(str(exc)) from None
    _set_identifiers(person, wanted, actor, now)
    if bool(person.active) != wanted.active:
        _set_active(person, wanted.active, actor, now)


def delete(actor: ScimActor, person: User, now: datetime) -> None:
    """Deactivate the person and hide them from SCIM; nothing of theirs is removed."""
    deactivate_account(person, now, actor_label=actor.label)
    person.scim_managed = True
    person.scim_deleted_at = now
    record("person.scim_deleted", actor_label=actor.label, subject_type="user", subject_id=person.id, at=now)

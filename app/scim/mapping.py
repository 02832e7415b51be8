"""A PostReady person as a SCIM User, and a SCIM User as the fields to give a person: pure functions.

PostReady keeps one address and one name per person, so each has two SCIM spellings:
- userName and the work address in emails are the address. When both are sent and differ, userName
  wins; a change to only the work address (Entra ID's emails[type eq "work"].value) changes it too.
- displayName and name.formatted are the full name. When both are sent and differ, displayName wins;
  a change to only name.formatted changes it too.
"What changed" compares the User before the request (None for a new person) with the one it asks for.
"""
from dataclasses import dataclass
from datetime import datetime

from scim2_models import Meta

from app.scim.schema import SCIM_USER, Email, EnterpriseUser, Manager, Name


@dataclass(frozen=True)
class PersonRecord:
    """What SCIM shows of a person, read from the database by app/scim/services.py."""

    id: int
    email: str
    full_name: str
    active: bool
    external_id: str | None
    employee_number: str | None
    department: str | None
    manager_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class WantedPerson:
    """What a request asks a person to be, in PostReady's terms."""

    email: str
    full_name: str
    active: bool
    external_id: str | None
    employee_number: str | None
    department: str          # "" for none
    manager: str | None      # manager.value as sent: the manager's SCIM id (or their externalId or address)


class MappingProblem(ValueError):
    """A value PostReady cannot use; the message says which and why (a provisioning log shows it)."""


def to_user(person: PersonRecord, location: str, manager_location: str | None):
    """The person as a SCIM User, with every attribute PostReady keeps."""
    user = SCIM_USER(
        id=str(person.id), external_id=person.external_id, user_name=person.email,
        name=Name(formatted=person.full_name), display_name=person.full_name, active=person.active,
        emails=[Email(value=person.email, type="work")],
        meta=Meta(resource_type="User", created=person.created_at, location=location),
    )
    if person.employee_number or person.department or person.manager_id:
        manager = None
        if person.manager_id is not None:
            manager = Manager(value=str(person.manager_id), ref=manager_location)
        user[EnterpriseUser] = EnterpriseUser(employee_number=person.employee_number,
                                              department=person.department or None, manager=manager)
    return user


def _work_address(user) -> str | None:
    """The work address in emails: the one typed work, else the first."""
    emails = [e for e in user.emails or [] if e.value]
    chosen = next((e for e in emails if (e.type or "").lower() == "work"), emails[0] if emails else None)
    return chosen.value if chosen else None


def _chosen(before_user, user, spellings) -> str:
    """Of two spellings of one value, the first one the request changed (the first when nothing did)."""
    values = [spell(user) or "" for spell in spellings]
    if before_user is not None:
        for spell, value in zip(spellings, values, strict=True):
            if value and value != (spell(before_user) or ""):
                return value
    return next((v for v in values if v), "")


def _kept(value: str | None, name: str, longest: int) -> str | None:
    """An identifier as sent (none when blank), if it fits the column."""
    value = (value or "").strip()
    if len(value) > longest:
        raise MappingProblem(f"{name} is {len(value)} characters long; PostReady keeps at most {longest}.")
    return value or None


def _department(extension) -> str:
    name = " ".join(((extension.department if extension else None) or "").split())
    if len(name) > 200:
        raise MappingProblem(f"The department name is {len(name)} characters long; PostReady keeps at most 200.")
    return name


def _manager(extension) -> str | None:
    manager = extension.manager if extension else None
    return _kept(manager.value if manager else None, "manager.value", 255)


def wanted_person(before_user, user) -> WantedPerson:
    """What `user` asks for; `before_user` is the person as SCIM showed them before (None on create)."""
    email = _chosen(before_user, user, [lambda u: u.user_name, _work_address])
    full_name = _chosen(before_user, user, [lambda u: u.display_name, lambda u: u.name.formatted if u.name else None])
    if not email:
        raise MappingProblem("userName is missing: send the person's work email address as userName.")
    if not full_name:
        raise MappingProblem("The name is missing: send displayName (or name.formatted, or name.givenName "
                             "and name.familyName).")
    extension = user[EnterpriseUser]
    return WantedPerson(
        email=email, full_name=full_name, active=user.active is not False,
        external_id=_kept(user.external_id, "externalId", 255),
        employee_number=_kept(extension.employee_number if extension else None, "employeeNumber", 64),
        department=_department(extension),
        manager=_manager(extension),
    )

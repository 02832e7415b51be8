"""A PostReady person as a SCIM User, and a SCIM User as the fields to give a person: pure functions.

userName is kept as sent (Entra ID's UPN, Okta's login) and shown back exactly so; a person SCIM never
sent one for shows their address. PostReady's address for the person (users.email) is, in this order:
1. the work address in emails (typed work, else the first) when the request sends a new one
   (every create, or a change) and it is an address;
2. else userName, when it is an address and this is a create, or userName changed and the old userName
   was the old address (it stood for the address, so it keeps doing so);
3. else, on PUT and PATCH, the address the person has now (no emails sent, or the same as before);
4. else nothing: a 400 invalidValue asking for the work address in emails or as userName.
displayName and name.formatted are the full name. When both are sent and differ, displayName wins;
a change to only name.formatted changes it too.
"What changed" compares the User before the request (None for a new person) with the one it asks for.
"""
from dataclasses import dataclass
from datetime import datetime

from scim2_models import Meta

from app.accounts.emails import EmailProblem, check_email
from app.scim.schema import SCIM_USER, Email, EnterpriseUser, Manager, Name


@dataclass(frozen=True)
class PersonRecord:
    """What SCIM shows of a person, read from the database by app/scim/services.py."""

    id: int
    email: str
    user_name: str           # as SCIM sent it, else the address
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
    user_name: str           # as sent
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
        id=str(person.id), external_id=person.external_id, user_name=person.user_name,
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
    """The work address in emails: the one typed work, else the first. (Not "primary": PostReady keeps one
    address, so app/scim/schema.py does not offer primary, which a client could set to false.)"""
    emails = [e for e in user.emails or [] if e.value]
    chosen = next((e for e in emails if (e.type or "").lower() == "work"), emails[0] if emails else None)
    return chosen.value if chosen else None


def _is_address(value: str | None) -> bool:
    try:
        return bool(value) and bool(check_email(value))
    except EmailProblem:
        return False


def _same(a: str | None, b: str | None) -> bool:
    return (a or "").strip().lower() == (b or "").strip().lower()


def _address(before_user, user, user_name: str) -> str:
    """The person's address, by the rule in this module's docstring."""
    sent = _work_address(user)
    before = _work_address(before_user) if before_user is not None else None
    if sent and not _same(sent, before) and _is_address(sent):
        return sent
    if _is_address(user_name) and (
            before_user is None or (not _same(user_name, before_user.user_name)
                                    and _same(before_user.user_name, before))):
        return user_name
    if before and (not sent or _same(sent, before)):
        return before
    raise MappingProblem("PostReady needs the person's email address: send the work email address in emails "
                         "(type work) or as userName.")


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
    user_name = _kept(user.user_name, "userName", 255)
    if not user_name:
        raise MappingProblem("userName is missing: send the person's login (Entra ID's UPN, Okta's username).")
    email = _address(before_user, user, user_name)
    full_name = _chosen(before_user, user, [lambda u: u.display_name, lambda u: u.name.formatted if u.name else None])
    if not full_name:
        raise MappingProblem("The name is missing: send displayName (or name.formatted, or name.givenName "
                             "and name.familyName).")
    extension = user[EnterpriseUser]
    return WantedPerson(
        email=email, user_name=user_name, full_name=full_name, active=user.active is not False,
        external_id=_kept(user.external_id, "externalId", 255),
        employee_number=_kept(extension.employee_number if extension else None, "employeeNumber", 64),
        department=_department(extension),
        manager=_manager(extension),
    )

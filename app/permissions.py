"""Who may do what: every access rule is a named predicate here.

Views and templates call these (directly or through app.auth decorators);
no access rule is written inline anywhere else.
"""
from app.accounts.models import Role, User
from app.accounts.reporting_line import in_reporting_line, reporting_line_ids


def is_admin(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.active and user.role == Role.ADMIN


def is_manager(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.active and user.role == Role.MANAGER


def can_manage_people(user) -> bool:
    return is_admin(user)


def manages(manager: User, person: User) -> bool:
    """True when person is in manager's reporting line, directly or indirectly."""
    return person.id != manager.id and in_reporting_line(manager.id, person.id)


def can_view_person(user, person: User) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.active:
        return False
    return user.id == person.id or is_admin(user) or (is_manager(user) and manages(user, person))


def viewable_people(user, person_ids: set[int]) -> set[int]:
    """Of these people, those whose page `user` may open: can_view_person for many at once (one query).
    A report "as of" a past date may list people who have since left a manager's line."""
    if not getattr(user, "is_authenticated", False) or not user.active:
        return set()
    if is_admin(user):
        return set(person_ids)
    if not is_manager(user):
        return {i for i in person_ids if i == user.id}
    line = set(reporting_line_ids(user.id))
    return {i for i in person_ids if i == user.id or i in line}


def can_take_attempt(user, attempt) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.active and attempt.user_id == user.id


def can_view_attempt(user, attempt) -> bool:
    return can_take_attempt(user, attempt) or can_view_person(user, attempt.user)


def can_revoke_certificates(user) -> bool:
    return is_admin(user)


def can_view_certificate(user, certificate) -> bool:
    return can_view_certificate_held_by(user, certificate.user)


def can_view_certificate_held_by(user, holder: User) -> bool:
    """A certificate is visible to whoever may view its holder (for callers holding only the holder)."""
    return can_view_person(user, holder)


def can_suspend_rights(user, person: User) -> bool:
    """Admins for anyone; managers for their own reporting line, never for themselves."""
    if is_admin(user):
        return True
    return is_manager(user) and user.id != person.id and manages(user, person)


ROLE_RANK = {Role.EMPLOYEE: 0, Role.MANAGER: 1, Role.ADMIN: 2}


def can_lift_suspension(user, suspension) -> bool:
    """Whoever may suspend the person, if their role ranks at least as high as the imposer's: a line
    manager can lift a manager's suspension, never a compliance admin's."""
    return (can_suspend_rights(user, suspension.user)
            and ROLE_RANK[Role(user.role)] >= ROLE_RANK[Role(suspension.suspended_by.role)])


def can_manage_api_tokens(user) -> bool:
    return is_admin(user)


def can_manage_webhooks(user) -> bool:
    """Endpoints receive people's names and rights, so only admins choose where they go."""
    return is_admin(user)


def can_view_team(user) -> bool:
    return is_manager(user)


def can_send_reminders(user) -> bool:
    """Managers remind their reporting line, admins anyone (each person checked with can_view_person)."""
    return is_manager(user) or is_admin(user)


def can_view_organization(user) -> bool:
    """Admins act as compliance officers: the whole organization, every export."""
    return is_admin(user)


def can_manage_requirement_rules(user) -> bool:
    """Which department or role must hold which platform certification is an organisation rule."""
    return is_admin(user)


def can_change_requirements_of(user, person: User) -> bool:
    """Admins for anyone; managers for their reporting line, never for themselves."""
    return can_suspend_rights(user, person)


def can_decide_platform_request(user, platform_request) -> bool:
    """The person's manager (anyone above them in the line) or an admin; never the person."""
    return user.id != platform_request.user_id and can_change_requirements_of(user, platform_request.user)


def can_request_platform(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.active

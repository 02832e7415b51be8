"""Starting and ending a session, shared by the password form and single sign-on."""
from urllib.parse import urlsplit

from flask import current_app, session, url_for
from flask_login import current_user, login_user, logout_user

from app.permissions import can_view_organization, can_view_team


def safe_next(target: str | None) -> str | None:
    """Only our own absolute paths: never another host, scheme or protocol-relative URL."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in target):  # CR/LF would split the Location header
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def new_csrf_secret() -> None:
    """A token planted in a form before sign-in (or sign-out) must not be valid after it: drop the
    session's CSRF secret (Flask-WTF keeps it under its field name) so a new one is made."""
    session.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def home_url(user) -> str:
    """Where a person lands: an admin on the organisation, a manager on the team, everyone else on
    their training (which the navigation keeps one click away for all)."""
    if can_view_organization(user):
        return url_for("reports.organization")
    if can_view_team(user):
        return url_for("reports.team")
    return url_for("courses.my_training")


def start_session(user) -> None:
    """Sign this person in here. Someone else signed in at a shared computer is signed out first,
    never the second person let into the first one's account."""
    if current_user.is_authenticated:
        logout_user()
    new_csrf_secret()
    login_user(user)

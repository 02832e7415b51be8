"""View decorators. They only call predicates from app.permissions."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def permission_required(predicate):
    """Require login, then the predicate about the current user (403 if it fails)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not predicate(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def ensure_or_404(allowed: bool) -> None:
    """For objects: someone who may not see a thing is not told it exists."""
    if not allowed:
        abort(404)

"""Each SAML assertion signs a person in once: its ID is kept until it would have expired anyway,
and a second use is refused. Expired IDs are deleted as new ones come in."""
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.sso.models import SamlAssertionSeen

MAX_ID_LENGTH = 200  # the column's size


class AssertionReplayed(Exception):
    pass


def remember_assertion(assertion_id: str, until: datetime, now: datetime) -> None:
    """Record the assertion as used (the caller commits); raises AssertionReplayed if it was."""
    db.session.execute(delete(SamlAssertionSeen).where(SamlAssertionSeen.expires_at < now))
    if db.session.get(SamlAssertionSeen, assertion_id) is not None:
        raise AssertionReplayed(f"the assertion {assertion_id} was already used")
    try:
        with db.session.begin_nested():
            db.session.add(SamlAssertionSeen(assertion_id=assertion_id, expires_at=until))
    except IntegrityError as exc:  # the same assertion posted twice at once: the other request has it
        raise AssertionReplayed(f"the assertion {assertion_id} was already used") from exc

"""A manager's reporting line: everyone under them, directly or indirectly, as one query.

Today's line follows users.manager_id; a past line follows the placement history (who reported to
whom at that moment). Either way it is one recursive query that other queries can use as a
subquery. UNION (not UNION ALL) drops people already reached, so a loop in bad data ends.
"""
from datetime import datetime

from sqlalchemy import Select, select

from app.accounts.models import User
from app.accounts.placements import placements_at
from app.extensions import db


def reporting_line_query(manager_id: int, as_of: datetime | None = None) -> Select:
    """Ids of everyone under this manager: today, or as the reporting lines were at `as_of`."""
    if as_of is None:
        edges = User.__table__
        person, manager = edges.c.id, edges.c.manager_id
    else:
        placed = placements_at(as_of)
        edges = select(placed.c.user_id.label("id"), placed.c.manager_id).cte("placed")
        person, manager = edges.c.id, edges.c.manager_id
    line = select(person.label("id")).where(manager == manager_id).cte("line", recursive=True)
    line = line.union(select(person).join(line, manager == line.c.id))
    return select(line.c.id)


def reporting_line_ids(manager_id: int, as_of: datetime | None = None) -> list[int]:
    return list(db.session.scalars(reporting_line_query(manager_id, as_of)))


def in_reporting_line(manager_id: int, person_id: int) -> bool:
    line = reporting_line_query(manager_id).subquery()
    return db.session.scalar(select(line.c.id).where(line.c.id == person_id).limit(1)) is not None

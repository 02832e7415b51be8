"""Department, manager and active flag over time (see PersonPlacement), written and read here."""
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Subquery

from app.accounts.models import Department, PersonPlacement, User
from app.extensions import db


def placement_of(person: User) -> tuple:
    return person.department_id, person.manager_id, bool(person.active)


def record_placements(people: Iterable[User], at: datetime, actor: User | None = None) -> None:
    """Append each person's current placement, effective from `at`. The caller flushes the people
    first (so ids are set) and calls this only for people whose placement changed."""
    rows = [
        {"user_id": p.id, "effective_at": at, "department_id": p.department_id, "manager_id": p.manager_id,
         "active": bool(p.active), "recorded_by_id": actor.id if actor is not None else None}
        for p in people
    ]
    if rows:
        db.session.execute(PersonPlacement.__table__.insert(), rows)


def placements_at(at: datetime) -> Subquery:
    """Each person's placement at `at`: their newest row effective by then. For a moment before their
    first row (people recorded before history was kept), the earliest row: the nearest known."""
    effective = PersonPlacement.effective_at <= at
    rank = func.row_number().over(
        partition_by=PersonPlacement.user_id,
        order_by=(case((effective, 0), else_=1),
                  case((effective, PersonPlacement.effective_at)).desc(),
                  PersonPlacement.effective_at, PersonPlacement.id.desc()),
    )
    ranked = select(PersonPlacement.user_id, PersonPlacement.department_id, PersonPlacement.manager_id,
                    PersonPlacement.active, rank.label("n")).subquery("ranked")
    return (select(ranked.c.user_id, ranked.c.department_id, ranked.c.manager_id, ranked.c.active)
            .where(ranked.c.n == 1).subquery("placement"))


@dataclass(frozen=True)
class PlacementLine:
    effective_at: datetime
    department: str
    manager: str
    active: bool
    recorded_by: str


def placement_history(person: User) -> list[PlacementLine]:
    """Every recorded placement of one person, oldest first, with names (one query)."""
    manager, recorder = aliased(User), aliased(User)
    rows = db.session.execute(
        select(PersonPlacement.effective_at, Department.name, manager.full_name, PersonPlacement.active,
               recorder.full_name)
        .outerjoin(Department, PersonPlacement.department_id == Department.id)
        .outerjoin(manager, PersonPlacement.manager_id == manager.id)
        .outerjoin(recorder, PersonPlacement.recorded_by_id == recorder.id)
        .where(PersonPlacement.user_id == person.id)
        .order_by(PersonPlacement.effective_at, PersonPlacement.id))
    return [PlacementLine(at, dept or "", mgr or "", bool(active), by or "") for at, dept, mgr, active, by in rows]

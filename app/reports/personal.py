"""A person's own requirements, for My training: the same cells the dashboards show, for one person."""
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.assignments.models import PlatformRequest
from app.extensions import db
from app.reports.data import Requirement, people_rows, requirements
from app.reports.rules import Cell, Status
from app.rights.services import policy


@dataclass(frozen=True)
class OwnRequirement:
    requirement: Requirement
    cell: Cell

    @property
    def done(self) -> bool:
        return self.cell.status in (Status.CERTIFIED, Status.EXPIRING) and self.cell.due is None

    def days_left(self, today: date) -> int | None:
        return (self.cell.due - today).days if self.cell.due else None


def own_requirements(user, now: datetime) -> list[OwnRequirement]:
    """Every certification of the courses in force, with this person's cell (required or not)."""
    reqs = requirements()
    rows = people_rows([user.id], now, False, policy(), reqs)
    return [OwnRequirement(req, cell) for req, cell in zip(reqs, rows[0].cells)] if rows else []


def latest_requests(user) -> dict[str, PlatformRequest]:
    """The person's newest request per platform (pending, approved or declined)."""
    latest: dict[str, PlatformRequest] = {}
    for r in db.session.scalars(select(PlatformRequest).where(PlatformRequest.user_id == user.id)
                                .order_by(PlatformRequest.requested_at).options(selectinload(PlatformRequest.decision))):
        latest[r.certification_slug] = r
    return latest

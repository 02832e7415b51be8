"""Status of one person against one requirement (a certification), as a pure function.

The same function answers for "now" and for any past moment: callers pass
only the records that existed then, and that moment as `at`.
"""
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from app.certificates.rules import HeldCertificate

EXPIRING_WINDOW = timedelta(days=30)


class Status(StrEnum):
    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    PASSED = "passed"
    CERTIFIED = "certified"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    OVERDUE = "overdue"
    SUSPENDED = "suspended"

    @property
    def compliant(self) -> bool:
        return self in (Status.CERTIFIED, Status.EXPIRING)


@dataclass(frozen=True, slots=True)
class OpenAssignment:
    assigned_at: datetime
    due_at: datetime
    module_slugs: tuple[str, ...] = ()  # empty: the whole certification


@dataclass(frozen=True, slots=True)
class Cell:
    status: Status
    when: date | None = None        # certified/expiring: until; expired: on; overdue: was due
    due: date | None = None         # an open assignment's due date, when not yet overdue
    required: bool = False

    @property
    def label(self) -> str:
        return _label(self)

    @property
    def export_label(self) -> str:
        """The label, or what it means for someone the requirement does not apply to."""
        if self.required:
            return _label(self)
        return "Not required" if self.status is Status.NOT_STARTED else f"{_label(self)} (optional)"


def _label(cell: Cell) -> str:
    dated = _DATED_LABELS.get(cell.status)
    if dated is None:
        return _PLAIN_LABELS[cell.status]
    return dated + (f"{cell.when:%-d %b %Y}" if cell.when else "")


_DATED_LABELS = {Status.CERTIFIED: "Certified until ", Status.EXPIRING: "Expiring ", Status.EXPIRED: "Expired ",
                 Status.OVERDUE: "Overdue since "}
_PLAIN_LABELS = {status: status.value.capitalize() for status in Status}


def requirement_status(
    certificates: Sequence[HeldCertificate],
    module_slugs: Sequence[str],
    completions: dict[str, datetime],
    active_modules: Collection[str],
    assignments: Sequence[OpenAssignment],
    suspended: bool,
    at: datetime,
) -> Cell:
    """One cell of the dashboard.

    `certificates` are this person's certificates for the requirement,
    `completions` the latest completion time per module slug, `active_modules`
    the modules with any lesson read or attempt, `assignments` those assigned
    for this requirement; all as recorded at `at`.
    """
    # Plain loops, not max()/min() with keys: a full export computes this for every person and
    # requirement. Ties keep the first, as max() and min() do.
    latest, until = None, None
    for c in certificates:
        if latest is None or c.issued_at > latest.issued_at:
            latest = c
        if c.valid_at(at) and (until is None or c.expires_at > until):
            until = c.expires_at
    since = latest.issued_at if latest else None
    # An assignment is satisfied by a certificate, or (for a material change) by fresh completions.
    due = None
    for a in assignments:
        if (due is None or a.due_at < due.due_at) and not is_satisfied(a, certificates, completions):
            due = a
    required = bool(assignments)
    if suspended:
        return Cell(Status.SUSPENDED, required=required)
    if due is not None and due.due_at <= at:
        return Cell(Status.OVERDUE, due.due_at.date(), required=True)
    if until is not None:
        status = Status.EXPIRING if until - at <= EXPIRING_WINDOW else Status.CERTIFIED
        return Cell(status, until.date(), due.due_at.date() if due else None, required)
    due_date = due.due_at.date() if due else None
    if latest is not None:
        ended = latest.revoked_at if latest.revoked_at and latest.revoked_at <= at else latest.expires_at
        fresh = [m for m in module_slugs if m in completions and completions[m] > since]
        if len(fresh) == len(module_slugs):
            return Cell(Status.PASSED, due=due_date, required=required)
        return Cell(Status.EXPIRED, ended.date(), due_date, required)
    if module_slugs and all(m in completions for m in module_slugs):
        return Cell(Status.PASSED, due=due_date, required=required)
    if any(m in completions or m in active_modules for m in module_slugs):
        return Cell(Status.IN_PROGRESS, due=due_date, required=required)
    if due_date is None and not required:
        return _NOT_STARTED
    return Cell(Status.NOT_STARTED, due=due_date, required=required)


_NOT_STARTED = Cell(Status.NOT_STARTED)  # the commonest cell in a new organization, shared (cells are frozen)


def is_satisfied(assignment: OpenAssignment, certificates, completions) -> bool:
    if assignment.module_slugs:
        return all(completions.get(m) and completions[m] >= assignment.assigned_at for m in assignment.module_slugs)
    return any(c.issued_at >= assignment.assigned_at for c in certificates)


@dataclass(frozen=True)
class Summary:
    counts: dict[Status, int]
    total: int  # people the requirement applies to

    @property
    def compliant_percent(self) -> int:
        good = self.counts.get(Status.CERTIFIED, 0) + self.counts.get(Status.EXPIRING, 0)
        return round(100 * good / self.total) if self.total else 0


def summarize(cells: Sequence[Cell]) -> Summary:
    """Counts over the cells of people the requirement applies to: someone who was never asked to
    hold a certification is neither compliant nor behind on it."""
    counts = {s: 0 for s in Status}
    total = 0
    for cell in cells:
        if cell.required:
            counts[cell.status] += 1
            total += 1
    return Summary(counts, total)

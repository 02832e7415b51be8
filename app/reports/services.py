"""Report services: who is in scope, the dashboard with filters, and point-in-time parsing."""
import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timezone

from flask import current_app
from sqlalchemy import Select, select

from app.accounts.models import User
from app.accounts.reporting_line import reporting_line_query as line_query
from app.extensions import db
from app.reports.data import EVERYONE, PersonRow, Requirement, people_rows, requirements
from app.reports.rules import Status, Summary, summarize
from app.rights.services import policy
from app.url_ids import page_number

SORTS = {"name", "department", "hire_date"}
PAGE_SIZE = 50


class ReportError(ValueError):
    """Bad report parameters; the message is shown to the person (HTTP 400)."""


def parse_as_of(value: str | None, now: datetime) -> datetime | None:
    """'YYYY-MM-DD' means the end of that day (UTC). Empty means now. The future is refused."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ReportError("The 'as of' date must look like 2026-03-31.") from None
    moment = datetime.combine(day, time.max, tzinfo=timezone.utc)
    if day > now.date():
        raise ReportError("The 'as of' date cannot be in the future.")
    return min(moment, now)


def reporting_line_query(manager: User, as_of: datetime | None = None) -> Select:
    """Ids of everyone under this manager: today, or as the reporting lines were at `as_of`."""
    return line_query(manager.id, as_of)


def organization_query(as_of: datetime | None = None) -> Select:
    """Everyone; as of a past date, everyone on the roster then (people_rows applies the date)."""
    return EVERYONE


@dataclass
class Filters:
    status: str = ""
    department: str = ""
    q: str = ""
    sort: str = "name"
    page: int = 1
    include_inactive: bool = False

    @classmethod
    def from_args(cls, args) -> "Filters":
        status = args.get("status", "")
        if status and status not in {s.value for s in Status}:
            raise ReportError("Unknown status filter.")
        sort = args.get("sort", "name")
        if sort not in SORTS:
            raise ReportError("Unknown sort order.")
        return cls(status=status, department=args.get("department", "")[:200], q=args.get("q", "").strip()[:100],
                   sort=sort, page=page_number(args),
                   include_inactive=args.get("inactive") == "1")


@dataclass
class Dashboard:
    at: datetime
    as_of: bool
    requirements: list[Requirement]
    rows: list[PersonRow]                # after filters, sorted
    summaries: list[Summary]             # per requirement, over everyone in scope
    departments: list[str]
    total_people: int
    filters: Filters = field(default_factory=Filters)

    @property
    def page_rows(self) -> list[PersonRow]:
        start = (self.filters.page - 1) * PAGE_SIZE
        return self.rows[start:start + PAGE_SIZE]

    @property
    def pages(self) -> int:
        return max((len(self.rows) + PAGE_SIZE - 1) // PAGE_SIZE, 1)


def build_dashboard(scope: Select | list[int], filters: Filters, now: datetime, as_of: datetime | None,
                    every_requirement: bool = False) -> Dashboard:
    """`every_requirement`: a column for each, even one that applies to no one in scope (a person's page)."""
    at = as_of or now
    reqs = requirements(as_of)
    everyone = people_rows(scope, at, as_of is not None, policy(), reqs)
    in_scope = [r for r in everyone if r.active or filters.include_inactive]
    summaries = [summarize([row.cells[i] for row in in_scope]) for i in range(len(reqs))]
    # Only the requirements that apply to someone here get a column (the core one always does).
    for_all = set(current_app.config["ONBOARDING_CERTIFICATIONS"])
    keep = [i for i, (req, s) in enumerate(zip(reqs, summaries)) if s.total or req.slug in for_all]
    if len(keep) < len(reqs) and not every_requirement:
        reqs, summaries = [reqs[i] for i in keep], [summaries[i] for i in keep]
        in_scope = [replace(r, cells=tuple(r.cells[i] for i in keep)) for r in in_scope]
    rows = [r for r in in_scope if _matches(r, filters)]
    key = {"name": lambda r: (r.full_name.casefold(), r.id),
           "department": lambda r: (r.department.casefold(), r.full_name.casefold()),
           "hire_date": lambda r: (r.hire_date or date.min, r.full_name.casefold())}[filters.sort]
    rows.sort(key=key)
    departments = sorted({r.department for r in everyone if r.department}, key=str.casefold)
    return Dashboard(at, as_of is not None, reqs, rows, summaries, departments, len(in_scope), filters)


def _matches(row: PersonRow, f: Filters) -> bool:
    if f.department and row.department != f.department:
        return False
    if f.q and f.q.casefold() not in row.full_name.casefold() and f.q.casefold() not in row.email:
        return False
    if f.status and not any(c.required and c.status == f.status for c in row.cells):
        return False
    return True


def dashboard_csv_rows(board: Dashboard):
    header = ["Name", "Email", "Department", "Manager", "Hire date", "Active"] + [r.title for r in board.requirements]
    body = (
        [r.full_name, r.email, r.department, r.manager_name, r.hire_date or "", "yes" if r.active else "no"]
        + [c.export_label for c in r.cells]
        for r in board.rows
    )
    return header, body


@dataclass(frozen=True)
class DepartmentLine:
    name: str
    people: int
    summaries: list[Summary]

    @property
    def compliant_percent(self) -> int:
        core = self.summaries[0] if self.summaries else None
        return core.compliant_percent if core else 0


def by_department(board: Dashboard) -> list[DepartmentLine]:
    groups: dict[str, list[PersonRow]] = {}
    for row in board.rows:
        groups.setdefault(row.department or "(no department)", []).append(row)
    return [
        DepartmentLine(name, len(rows), [summarize([r.cells[i] for r in rows]) for i in range(len(board.requirements))])
        for name, rows in sorted(groups.items(), key=lambda kv: kv[0].casefold())
    ]


def report_digest(data) -> str:
    """SHA-256 over a canonical JSON encoding of the report's data (printed in the PDF)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def people_in(scope: Select) -> list[User]:
    return list(db.session.scalars(select(User).where(User.id.in_(scope))))


def overdue_titles(board: Dashboard) -> dict[int, list[str]]:
    """For each person shown: the titles of their requirements that are overdue (empty if none)."""
    titles = [r.title for r in board.requirements]
    return {row.id: [t for t, c in zip(titles, row.cells) if c.status is Status.OVERDUE] for row in board.rows}


def reminder_targets(board: Dashboard, person_id: int | None) -> list[tuple[User, list[str]]] | None:
    """Whom "Send reminder" reaches: that one person, or everyone overdue among the rows shown.
    None when the person is not among them."""
    overdue = overdue_titles(board)
    if person_id is not None and person_id not in overdue:
        return None
    ids = [person_id] if person_id is not None else [pid for pid, late in overdue.items() if late]
    people = {u.id: u for u in people_in(select(User.id).where(User.id.in_(ids)))}
    return [(people[i], overdue[i]) for i in ids if i in people]

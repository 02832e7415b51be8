"""Audit evidence: the PDF audit report and the "new hires in period" report (OCR's sample request)."""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from flask import current_app, render_template
from sqlalchemy import Select, select

from app.accounts.models import Department, User
from app.accounts.placements import placements_at
from app.assignments.models import Assignment
from app.certificates.models import Certificate, CertificateRevocation
from app.certificates.rules import certificate_status
from app.courses.models import Module, ModuleCompletion
from app.extensions import db
from app.pdf_render import render_pdf
from app.policy.services import policy_in_force, standings
from app.reports import audit_evidence as evidence
from app.reports import services
from app.reports.data import versions_in_use


@dataclass(frozen=True)
class RosterLine:
    name: str
    email: str
    department: str
    hire_date: date | None
    active: bool
    assigned: date | None
    due: date | None
    completions: dict           # module slug -> date
    certificates: list          # (title, issued, expires, status, code)
    cells: tuple
    policy: str = ""            # the social media policy in force: signed or not, by `at`


def _roster(scope: Select, at: datetime, as_of: bool) -> tuple[services.Dashboard, list[RosterLine]]:
    board = services.build_dashboard(scope, services.Filters(include_inactive=True), at, at if as_of else None)
    completions: dict[int, dict[str, date]] = defaultdict(dict)
    for uid, slug, when in db.session.execute(
        select(ModuleCompletion.user_id, Module.slug, ModuleCompletion.completed_at)
        .join(Module, ModuleCompletion.module_id == Module.id)
        .where(ModuleCompletion.user_id.in_(scope), ModuleCompletion.completed_at <= at)
        .order_by(ModuleCompletion.completed_at)
    ):
        completions[uid][slug] = when.date()
    certificates: dict[int, list] = defaultdict(list)
    titles = {r.slug: r.title for r in board.requirements}
    for uid, slug, issued, expires, code, revoked in db.session.execute(
        select(Certificate.user_id, Certificate.certification_slug, Certificate.issued_at, Certificate.expires_at,
               Certificate.code, CertificateRevocation.revoked_at)
        .outerjoin(CertificateRevocation)
        .where(Certificate.user_id.in_(scope), Certificate.issued_at <= at)
        .order_by(Certificate.issued_at)
    ):
        revoked = revoked if revoked and revoked <= at else None
        certificates[uid].append((titles.get(slug, slug), issued.date(), expires.date(),
                                  certificate_status(expires, revoked, at).value, code))
    first_assignment: dict[int, tuple[date, date]] = {}
    for uid, assigned, due in db.session.execute(
        select(Assignment.user_id, Assignment.assigned_at, Assignment.due_at)
        .where(Assignment.user_id.in_(scope), Assignment.assigned_at <= at, Assignment.certification_slug == "core")
        .order_by(Assignment.assigned_at.desc())
    ):
        first_assignment.setdefault(uid, (assigned.date(), due.date()))  # the latest core assignment
    signed = standings([r.id for r in board.rows], at)
    lines = [
        RosterLine(r.full_name, r.email, r.department, r.hire_date, r.active,
                   *(first_assignment.get(r.id) or (None, None)), completions.get(r.id, {}),
                   certificates.get(r.id, []), r.cells, policy_label(signed[r.id], at))
        for r in board.rows
    ]
    return board, lines


def audit_report_data(scope: Select, now: datetime, as_of: datetime | None, scope_label: str) -> dict:
    at = as_of or now
    board, lines = _roster(scope, at, as_of is not None)
    titles = {r.slug: r.title for r in board.requirements}
    versions = versions_in_use(as_of)
    modules = [m for v in versions for m in v.modules]
    return {
        "organization": current_app.config["ORG_NAME"],
        "scope": scope_label,
        "as_of": at.isoformat(),
        "generated_at": now.isoformat(),
        "content_versions": [
            {"course": v.title, "version": v.version_label, "content_sha256": v.content_hash,
             "loaded_at": v.loaded_at.isoformat()} for v in versions
        ],
        "modules": [{"slug": m.slug, "title": m.title} for m in modules],
        "policy_in_force": _policy_in_force(at),
        "requirements": [r.title for r in board.requirements],
        "requirement_columns": [r.short_title for r in board.requirements],
        "summary": evidence.summary(board),
        "by_team": evidence.by_team(board),
        "suspensions": evidence.suspensions(scope, at),
        "revocations": evidence.revocations(scope, at, titles),
        "attestations": evidence.attestations(scope, at),
        "roster": [
            {"name": line.name, "email": line.email, "department": line.department,
             "hire_date": line.hire_date, "active": line.active, "assigned": line.assigned, "due": line.due,
             "completions": {m.slug: line.completions.get(m.slug) for m in modules},
             "certificates": line.certificates, "status": [c.label for c in line.cells], "policy": line.policy}
            for line in lines
        ],
    }


def policy_label(standing, at: datetime) -> str:
    if not standing.required:
        return ""
    if standing.attested:
        return f"signed {standing.version_label}"
    due = standing.due_by.date().isoformat()
    return f"not signed, due {due}" if standing.allows_rights(at) else f"not signed, overdue since {due}"


def _policy_in_force(at: datetime) -> dict | None:
    version = policy_in_force(at)
    return None if version is None else {"title": version.title, "version": version.version_label,
                                         "sha256": version.sha256, "loaded_at": version.loaded_at.isoformat(),
                                         "grace_days": version.grace_days}


def audit_report_pdf(scope: Select, now: datetime, as_of: datetime | None, scope_label: str) -> bytes:
    data = audit_report_data(scope, now, as_of, scope_label)
    digest = services.report_digest({k: v for k, v in data.items() if k != "generated_at"})
    html = render_template("reports/audit_pdf.html", data=data, digest=digest)
    return render_pdf(html)


@dataclass(frozen=True)
class NewHire:
    name: str
    email: str
    department: str
    hire_date: date
    assigned: date | None
    due: date | None
    certified: date | None

    @property
    def outcome(self) -> str:
        if self.certified and self.due:
            return "on time" if self.certified <= self.due else f"late by {(self.certified - self.due).days} days"
        if self.certified:
            return "certified"
        return "not yet certified"


@dataclass(frozen=True)
class NewHiresReport:
    start: date
    end: date
    hires: list[NewHire]


def period_end(end: date, now: datetime) -> datetime:
    return min(datetime.combine(end, time.max, tzinfo=timezone.utc), now)


def new_hires_report(scope: Select, start: date, end: date, now: datetime) -> NewHiresReport:
    """People hired in the period, in the department they had at its end (the placement history)."""
    placed = placements_at(period_end(end, now))
    people = db.session.execute(
        select(User.id, User.full_name, User.email, Department.name, User.hire_date)
        .join(placed, placed.c.user_id == User.id).outerjoin(Department, placed.c.department_id == Department.id)
        .where(User.id.in_(scope), User.hire_date >= start, User.hire_date <= end)
        .order_by(User.hire_date, User.full_name)
    ).all()
    ids = [p.id for p in people]
    assigned = {uid: (a.date(), d.date()) for uid, a, d in db.session.execute(
        select(Assignment.user_id, Assignment.assigned_at, Assignment.due_at)
        .where(Assignment.user_id.in_(ids), Assignment.reason == "onboarding", Assignment.certification_slug == "core")
    )}
    certified: dict[int, date] = {}
    for uid, issued in db.session.execute(
        select(Certificate.user_id, Certificate.issued_at)
        .where(Certificate.user_id.in_(ids), Certificate.certification_slug == "core").order_by(Certificate.issued_at)
    ):
        certified.setdefault(uid, issued.date())
    hires = [NewHire(p.full_name, p.email, p.name or "", p.hire_date, *(assigned.get(p.id) or (None, None)),
                     certified.get(p.id)) for p in people]
    return NewHiresReport(start, end, hires)


def new_hires_csv(report: NewHiresReport):
    header = ["Name", "Email", "Department", "Hire date", "Assigned", "Due", "Core certified", "Outcome"]
    rows = [[h.name, h.email, h.department, h.hire_date, h.assigned or "", h.due or "", h.certified or "", h.outcome]
            for h in report.hires]
    return header, rows



from datetime import date, datetime, time, timedelta, timezone

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.forms import ConfirmForm
from app.accounts.models import User
from app.accounts.placements import placement_history
from app.assignments.forms import DecisionForm
from app.assignments.models import Assignment
from app.assignments.requests import pending_requests
from app.assignments.requirements import certification_titles
from app.audit.services import record
from app.auth import ensure_or_404, permission_required
from app.certificates.services import certificates_of
from app.extensions import db
from app.permissions import (
    can_send_reminders,
    can_view_organization,
    can_view_person,
    can_view_team,
    viewable_people,
)
from app.policy.services import standings
from app.quizzes.analysis import course_versions, item_csv, item_report
from app.quizzes.models import Attempt
from app.reminders.nudges import NudgeRefused, send_nudges
from app.reports import audit, services
from app.reports.cells import status_cell, unbroken_dates
from app.reports.chart import status_chart
from app.reports.csv_export import csv_chunks, csv_text
from app.reports.rules import Status
from app.rights.services import rights_of, suspension_history
from app.sqlite import writes_db
from app.timestamps import utcnow

bp = Blueprint("reports", __name__, template_folder="templates")
bp.add_app_template_filter(status_cell, "status_cell")
bp.add_app_template_filter(unbroken_dates, "unbroken_dates")


@bp.app_template_test("overdue_row")
def overdue_row(row) -> bool:
    return any(cell.status is Status.OVERDUE for cell in row.cells)


@bp.errorhandler(services.ReportError)
def report_error(exc):
    return render_template("error.html", status=400, message=str(exc)), 400


def _board(scope_at):
    """The dashboard for the people `scope_at(as_of)` selects (reporting lines as they were then),
    and that scope."""
    now = utcnow()
    as_of = services.parse_as_of(request.args.get("as_of"), now)
    scope = scope_at(as_of)
    return services.build_dashboard(scope, services.Filters.from_args(request.args), now, as_of), scope


def _my_team(as_of):
    return services.reporting_line_query(current_user, as_of)


def _exported(name: str, as_of) -> None:
    """Record who exported what (views that export are marked writes_db)."""
    record("export.downloaded", actor=current_user, subject_type="report", subject_id=name,
           details={"as_of": as_of.isoformat() if as_of else None, "query": request.query_string.decode()[:500]})
    db.session.commit()


def _csv(board, name: str) -> Response:
    _exported(f"{name}.csv", board.at if board.as_of else None)
    stamp = board.at.date().isoformat()
    # Streamed from rows already computed: the database is done with before the first byte.
    response = Response(csv_chunks(*services.dashboard_csv_rows(board)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="postready-{name}-{stamp}.csv"'
    return response


def _render(board, title: str, endpoint: str, departments=None, scope=None):
    labels, chart_title = [r.short_title for r in board.requirements], \
        f"{title}: status of {board.total_people} people by requirement"
    chart = status_chart(labels, board.summaries, chart_title) + \
        status_chart(labels, board.summaries, chart_title, narrow=True)  # CSS shows the one that fits
    linkable = viewable_people(current_user, {r.id for r in board.page_rows})
    signed = standings([r.id for r in board.page_rows], board.at)  # the page's people: one query
    return render_template("reports/dashboard.html", board=board, title=title, chart=chart, endpoint=endpoint,
                           statuses=list(Status), department_lines=departments, linkable=linkable,
                           signed=signed, policy_required=any(s.required for s in signed.values()),
                           requests=pending_requests(scope) if scope is not None and not board.as_of else [],
                           titles=certification_titles(), decision=DecisionForm())


@bp.get("/team")
@permission_required(can_view_team)
def team():
    board, scope = _board(_my_team)
    return _render(board, "My team", "reports.team", scope=_my_team(None))


@bp.get("/team.csv")
@permission_required(can_view_team)
@writes_db
def team_csv():
    return _csv(_board(_my_team)[0], "team")


@bp.post("/reminders")
@permission_required(can_send_reminders)
def remind():
    """"Send reminder" for one person, or for everyone overdue in the team (or organisation) shown."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    admin = can_view_organization(current_user)
    board = services.build_dashboard(services.organization_query() if admin else _my_team(None),
                                     services.Filters.from_args(request.form), utcnow(), None)  # the rows shown
    targets = services.reminder_targets(board, request.form.get("person", type=int))
    if targets is None:
        abort(404)
    try:
        report = send_nudges(current_user, targets, utcnow())
    except NudgeRefused:
        abort(404)
    for names, text, kind in ((report.sent, "Reminder sent to", "success"),
                              (report.already_today, "Already reminded today (once a day at most):", "info"),
                              (report.failed, "Could not be sent, try again later:", "error")):
        if names:
            flash(f"{text} {', '.join(names)}.", kind)
    if not targets:
        flash("No one is overdue: nobody was reminded.", "info")
    return redirect(url_for("reports.organization" if admin else "reports.team"))


@bp.get("/organization")
@permission_required(can_view_organization)
def organization():
    board, _ = _board(services.organization_query)
    return _render(board, "Organization", "reports.organization", services.by_department(board),
                   scope=services.organization_query())


@bp.get("/organization.csv")
@permission_required(can_view_organization)
@writes_db
def organization_csv():
    return _csv(_board(services.organization_query)[0], "organization")


@bp.get("/people/<int:person_id>")
@login_required
def person(person_id: int):
    person = db.session.get(User, person_id)
    ensure_or_404(person is not None and can_view_person(current_user, person))
    now = utcnow()
    attempts = list(db.session.scalars(
        select(Attempt).where(Attempt.user_id == person.id)
        .options(selectinload(Attempt.submission), selectinload(Attempt.module))
        .order_by(Attempt.started_at.desc())
    ))
    assignments = list(db.session.scalars(
        select(Assignment).where(Assignment.user_id == person.id).order_by(Assignment.assigned_at.desc())
        .options(selectinload(Assignment.withdrawal), selectinload(Assignment.rule))
    ))
    board = services.build_dashboard(select(User.id).where(User.id == person.id),
                                     services.Filters(include_inactive=True), now, None, every_requirement=True)
    return render_template("reports/person.html", person=person, attempts=attempts, assignments=assignments,
                           titles=certification_titles(), confirm=ConfirmForm(),
                           certificates=certificates_of(person), rights=rights_of(person, now),
                           history=suspension_history(person), placements=placement_history(person),
                           board=board)


def _audit_scope_name() -> str:
    """Audit reports cover the organization for those who may see it, else the reporting line."""
    if can_view_organization(current_user):
        return "organization"
    if can_view_team(current_user):
        return "team"
    abort(403)


def _audit_scope(name: str, as_of):
    return services.organization_query(as_of) if name == "organization" else _my_team(as_of)


def _period(default: tuple[date, date] | None = None):
    """from/to dates for period reports, from <= to; both required unless there is a default."""
    try:
        start = date.fromisoformat(request.args.get("from") or (default[0].isoformat() if default else ""))
        end = date.fromisoformat(request.args.get("to") or (default[1].isoformat() if default else ""))
    except ValueError:
        raise services.ReportError("Give the period as from=YYYY-MM-DD and to=YYYY-MM-DD.") from None
    if start > end:
        raise services.ReportError("The period's start is after its end.")
    return start, end


@bp.get("/reports/audit.pdf")
@login_required
@writes_db
def audit_pdf():
    name = _audit_scope_name()
    now = utcnow()
    as_of = services.parse_as_of(request.args.get("as_of"), now)
    scope = _audit_scope(name, as_of)
    pdf = audit.audit_report_pdf(scope, now, as_of, scope_label=name)
    _exported(f"audit-{name}.pdf", as_of)
    response = Response(pdf, mimetype="application/pdf")
    stamp = (as_of or now).date().isoformat()
    response.headers["Content-Disposition"] = f'attachment; filename="postready-audit-{name}-{stamp}.pdf"'
    return response


@bp.get("/reports/new-hires")
@login_required
@writes_db
def new_hires():
    name = _audit_scope_name()
    if not request.args.get("from"):
        return render_template("reports/new_hires.html", report=None)
    start, end = _period()
    now = utcnow()
    scope = _audit_scope(name, audit.period_end(end, now))
    report = audit.new_hires_report(scope, start, end, now)
    if request.args.get("format") == "csv":
        body = csv_text(*audit.new_hires_csv(report))
        _exported("new-hires.csv", None)
        response = Response(body, mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="postready-new-hires-{start}-{end}.csv"'
        return response
    return render_template("reports/new_hires.html", report=report)




@bp.get("/reports/questions")
@permission_required(can_view_organization)
@writes_db  # the CSV is an audited export
def item_analysis():
    """How each question performed, for course owners (app.quizzes.analysis): a table, or its CSV."""
    versions = course_versions()
    chosen = request.args.get("version", type=int) or (versions[0].id if versions else None)
    version = next((v for v in versions if v.id == chosen), None) or abort(404)
    now = utcnow()
    start, end = _period(default=(now.date() - timedelta(days=365), now.date()))
    reports = item_report(version, datetime.combine(start, time.min, tzinfo=timezone.utc), audit.period_end(end, now))
    if request.args.get("format") == "csv":
        _exported("questions.csv", None)
        response = Response(csv_text(*item_csv(reports)), mimetype="text/csv")
        response.headers["Content-Disposition"] = (
            f'attachment; filename="postready-questions-{version.version_label}-{start}-{end}.csv"')
        return response
    return render_template("reports/items.html", reports=reports, versions=versions, version=version,
                           start=start, end=end)

"""Dashboards, person view, exports and point-in-time reports."""
import csv
import io
import re
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from app.assignments.models import Assignment
from app.extensions import db
from app.reports import rules
from app.reports.cells import status_cell
from app.reports.csv_export import csv_text, safe_cell
from app.reports.services import Filters, build_dashboard, organization_query, reporting_line_query
from app.rights.services import suspend_rights
from app.timestamps import utcnow
from tests.factories import certify, make_user, pass_module, require
from tests.tools import need_tool

NOW = utcnow()


def cells_by_name(board) -> dict[str, dict[str, str]]:
    return {row.full_name: {req.slug: cell.status.value for req, cell in zip(board.requirements, row.cells)}
            for row in board.rows}


# --- the status rule --------------------------------------------------------------------

def test_status_cell_markup():
    d = datetime(2027, 3, 5, tzinfo=timezone.utc).date()
    assert status_cell(rules.Cell(rules.Status.CERTIFIED, d, d, required=True)) == (
        '<span class="status status-certified">Certified until 5 Mar 2027</span>'
        '<span class="small muted"> · due 5 Mar</span>')
    assert status_cell(rules.Cell(rules.Status.OVERDUE, d, required=True)) == (
        '<span class="status status-overdue">Overdue since 5 Mar 2027</span>')
    assert status_cell(rules.Cell(rules.Status.NOT_STARTED, due=d, required=True),
                       "%-d %b %Y").endswith("due 5 Mar 2027</span>")
    # Not asked of the person: says so, and an optional certificate reads as optional.
    assert status_cell(rules.Cell(rules.Status.NOT_STARTED)) == (
        '<span class="not-required">Not required</span>')
    assert status_cell(rules.Cell(rules.Status.CERTIFIED, d)).endswith("· optional</span>")
    assert rules.Cell(rules.Status.CERTIFIED, d).export_label == "Certified until 5 Mar 2027 (optional)"


def test_status_rule_covers_each_state():
    from app.certificates.rules import HeldCertificate as H

    f = rules.requirement_status
    mods = ("a", "b")
    assert f([], mods, {}, set(), [], False, NOW).status == "not started"
    assert f([], mods, {}, {"a"}, [], False, NOW).status == "in progress"
    assert f([], mods, {"a": NOW, "b": NOW}, set(), [], False, NOW).status == "passed"
    valid = H("x", NOW - timedelta(days=10), NOW + timedelta(days=200))
    cell = f([valid], mods, {}, set(), [], False, NOW)
    assert cell.status == "certified" and cell.label.startswith("Certified until")
    soon = H("x", NOW - timedelta(days=340), NOW + timedelta(days=20))
    assert f([soon], mods, {}, set(), [], False, NOW).status == "expiring"
    old = H("x", NOW - timedelta(days=400), NOW - timedelta(days=35))
    assert f([old], mods, {}, set(), [], False, NOW).status == "expired"
    due = rules.OpenAssignment(NOW - timedelta(days=40), NOW - timedelta(days=10))
    assert f([], mods, {}, set(), [due], False, NOW).status == "overdue"
    assert f([valid], mods, {}, set(), [], True, NOW).status == "suspended"
    # An assignment made before the certificate was earned is satisfied by it.
    assert f([valid], mods, {}, set(), [due], False, NOW).status == "certified"


def test_summary_percent():
    cells = [rules.Cell(rules.Status.CERTIFIED, required=True)] * 3 + [rules.Cell(rules.Status.OVERDUE, required=True)]
    # People never asked for it count neither way, certified or not.
    cells += [rules.Cell(rules.Status.NOT_STARTED), rules.Cell(rules.Status.CERTIFIED)]
    summary = rules.summarize(cells)
    assert summary.compliant_percent == 75 and summary.total == 4
    assert rules.summarize([rules.Cell(rules.Status.NOT_STARTED)]).total == 0


# --- dashboards --------------------------------------------------------------------------

def _one_of_each_state(people) -> dict[str, str]:
    """Records that put the manager's line in four core states; returns name -> expected state."""
    certify(people.employee, NOW - timedelta(days=350), platforms=())   # core expiring within 30 days
    pass_module(people.indirect, "privacy", NOW)                        # in progress
    db.session.add(Assignment(user_id=people.deactivated.id, certification_slug="core", reason="onboarding",
                              assigned_at=NOW - timedelta(days=40), due_at=NOW - timedelta(days=10),
                              dedupe_key="t1"))
    db.session.commit()
    return {"Eli Employee": "expiring", "Ivy Indirect": "in progress", "Dan Gone": "overdue",
            "Lee Lead": "not started"}


def test_team_dashboard_states(course, people):
    _one_of_each_state(people)
    board = build_dashboard(reporting_line_query(people.manager), Filters(include_inactive=True), NOW, None)
    cells = cells_by_name(board)
    assert set(cells) == {"Eli Employee", "Lee Lead", "Ivy Indirect", "Dan Gone"}
    assert cells["Eli Employee"]["core"] == "expiring"
    assert cells["Ivy Indirect"]["core"] == "in progress"
    assert cells["Dan Gone"]["core"] == "overdue"
    assert cells["Lee Lead"]["core"] == "not started"
    suspend_rights(people.manager, people.employee, None, "Pending review", NOW)
    db.session.commit()
    board = build_dashboard(reporting_line_query(people.manager), Filters(), NOW, None)
    assert cells_by_name(board)["Eli Employee"]["core"] == "suspended"
    assert "Dan Gone" not in cells_by_name(board)  # deactivated people are hidden unless asked for


def test_the_organization_and_a_team_read_each_persons_records_alone(course, people):
    """The organisation is read in step, person by person, from inputs ordered by person; a team
    the same way from lists of ids. People with no records between people with records get none
    of theirs."""
    expected = _one_of_each_state(people)
    organization = cells_by_name(build_dashboard(organization_query(), Filters(include_inactive=True), NOW, None))
    team = cells_by_name(build_dashboard(reporting_line_query(people.manager), Filters(include_inactive=True), NOW,
                                         None))
    assert {name: organization[name]["core"] for name in expected} == expected
    assert {name: cells["core"] for name, cells in team.items()} == expected
    assert all(cells["core"] == "not started" for name, cells in organization.items() if name not in expected)


def test_filters_and_sorting(course, people):
    require(people.employee, at=NOW - timedelta(days=1))
    certify(people.employee, NOW, platforms=())
    certify(people.other_employee, NOW, platforms=())  # never asked of her: not "certified" in a report
    board = build_dashboard(organization_query(), Filters(status="certified"), NOW, None)
    assert [r.full_name for r in board.rows] == ["Eli Employee"]
    board = build_dashboard(organization_query(), Filters(department="Marketing"), NOW, None)
    assert {r.full_name for r in board.rows} == {"Otto Other", "Olga Other"}
    board = build_dashboard(organization_query(), Filters(q="ivy"), NOW, None)
    assert [r.full_name for r in board.rows] == ["Ivy Indirect"]


def test_point_in_time_is_exact_and_repeatable(course, people):
    past = NOW - timedelta(days=100)
    # On the roster, and the course in use, long before (test set-up only).
    people.employee.created_at = NOW - timedelta(days=400)
    certify(people.employee, past - timedelta(days=5), platforms=())
    from app.certificates.models import Certificate
    from app.certificates.services import revoke_certificate

    core = db.session.query(Certificate).filter_by(certification_slug="core").one()
    revoke_certificate(people.admin, core, "Revoked after an incident", NOW - timedelta(days=10))
    db.session.commit()
    then = build_dashboard(organization_query(), Filters(), NOW, past)
    again = build_dashboard(organization_query(), Filters(), NOW, past)
    assert cells_by_name(then)["Eli Employee"]["core"] == "certified"
    assert cells_by_name(then) == cells_by_name(again)
    today = build_dashboard(organization_query(), Filters(), NOW, None)
    assert cells_by_name(today)["Eli Employee"]["core"] == "expired"
    before_certified = build_dashboard(organization_query(), Filters(), NOW, past - timedelta(days=30))
    assert cells_by_name(before_certified)["Eli Employee"]["core"] == "not started"


def test_query_count_does_not_grow_with_people(app, course, people):
    def count_queries(fn) -> int:
        seen = []
        def listener(_conn, _cursor, statement, *_args):
            if not statement.startswith("BEGIN"):  # SQLite's transaction start (app.sqlite) is no query
                seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            fn()
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    def board():
        db.session.expire_all()
        build_dashboard(organization_query(), Filters(), NOW, None)

    small = count_queries(board)
    for i in range(30):
        person = make_user(manager=people.manager)
        if i % 3 == 0:
            pass_module(person, "privacy", NOW)
    db.session.commit()
    assert count_queries(board) == small


# --- pages, exports and access ---------------------------------------------------------------

def test_manager_dashboard_page(client, course, people, login):
    certify(people.employee, NOW, platforms=())
    login(people.manager)
    page = client.get("/team")
    assert page.status_code == 200
    assert "<svg" in page.text and "Eli Employee" in page.text and "Olga Other" not in page.text
    assert "Certified until" in page.text
    filtered = client.get("/team?status=overdue")
    assert "Eli Employee" not in filtered.text.split("<table class=\"dashboard\"")[1]
    assert client.get("/team?status=bogus").status_code == 400
    assert client.get("/team?as_of=2999-01-01").status_code == 400
    assert client.get("/team?as_of=yesterday").status_code == 400


def test_csv_export_is_formula_safe(client, course, people, login):
    evil = make_user("=HYPERLINK(\"http://evil.example\")", manager=people.manager, department="+Nursing")
    db.session.commit()
    login(people.manager)
    response = client.get("/team.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())  # Excel then reads it as UTF-8
    rows = list(csv.reader(io.StringIO(response.text.removeprefix("\ufeff"))))
    names = [r[0] for r in rows]
    assert "'=HYPERLINK(\"http://evil.example\")" in names
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert evil.id


def test_safe_cell():
    assert [safe_cell(v) for v in ["=1+1", "+1", "-1", "@x", "\tx", "ok", None, 5]] == \
        ["'=1+1", "'+1", "'-1", "'@x", "'\tx", "ok", "", "5"]
    assert csv_text(["a"], [["=x"]]) == "\ufeffa\r\n'=x\r\n"  # the byte-order mark Excel needs for UTF-8


def test_managers_see_only_their_reporting_line(client, course, people, login):
    login(people.other_manager)
    assert client.get(f"/people/{people.employee.id}").status_code == 404
    assert "Eli Employee" not in client.get("/team.csv").text
    assert client.get("/organization").status_code == 403
    assert client.get("/organization.csv").status_code == 403


def test_person_view(client, course, people, login):
    certify(people.employee, NOW)
    login(people.manager)
    page = client.get(f"/people/{people.employee.id}").text
    assert "Quiz attempts" in page and "Test core" in page and "Post on Instagram" in page


def test_organization_view_by_department(client, course, people, login):
    certify(people.employee, NOW, platforms=())
    login(people.admin)
    page = client.get("/organization").text
    assert "By department" in page and "Nursing" in page and "Marketing" in page


def test_audit_pdf_has_digest_versions_and_roster(client, course, people, login, tmp_path):
    people.employee.created_at = NOW - timedelta(days=400)
    certify(people.employee, NOW - timedelta(days=3), platforms=())
    login(people.admin)
    day = (NOW - timedelta(days=1)).date().isoformat()
    first = client.get(f"/reports/audit.pdf?as_of={day}")
    assert first.status_code == 200 and first.data.startswith(b"%PDF")
    need_tool("pdftotext", "poppler-utils")
    path = tmp_path / "audit.pdf"
    path.write_bytes(first.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
    digest = re.search(r"Data SHA-256\s+([0-9a-f]{64})", text)
    assert digest and "Test Course" in text and "Eli Employee" in text
    second = client.get(f"/reports/audit.pdf?as_of={day}")
    path.write_bytes(second.data)
    text2 = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
    assert re.search(r"Data SHA-256\s+([0-9a-f]{64})", text2).group(1) == digest.group(1)


def test_new_hires_report(client, course, people, login):
    make_user("Nia New", manager=people.manager, hire_date=datetime(2026, 3, 2, tzinfo=timezone.utc).date())
    db.session.commit()
    login(people.admin)
    page = client.get("/reports/new-hires?from=2026-03-01&to=2026-03-31")
    assert page.status_code == 200 and "Nia New" in page.text and "Eli Employee" not in page.text
    csv_response = client.get("/reports/new-hires?from=2026-03-01&to=2026-03-31&format=csv")
    assert "Nia New" in csv_response.text
    assert client.get("/reports/new-hires?from=2026-04-01&to=2026-03-01").status_code == 400


@pytest.mark.parametrize("path", ["/team", "/team.csv"])
def test_employees_cannot_open_team_reports(client, course, people, login, path):
    login(people.employee)
    assert client.get(path).status_code == 403

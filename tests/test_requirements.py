"""Per-person requirements: the core certification for everyone, a platform one only for those who post
there (an admin's rule by department or role, the HR file, or a request their manager approved).
Dashboards count only what is required; what stops applying is withdrawn, never deleted."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from app.accounts.services import PersonFields, update_person
from app.assignments.models import Assignment, AssignmentWithdrawal
from app.assignments.requests import request_platform
from app.assignments.requirements import RequirementError, add_rule, end_rule, live_assignments
from app.assignments.rules import LiveAssignment, PersonFacts, RuleFacts, required_slugs, sync_plan
from app.extensions import db
from app.reports.services import Filters, build_dashboard, organization_query, reporting_line_query
from app.timestamps import utcnow
from tests.conftest import csrf_token
from tests.factories import certify, require


def required_of(person) -> set[str]:
    return required_slugs(live_assignments([person.id]))


def columns(board) -> list[str]:
    return [r.slug for r in board.requirements]


# --- the pure rule ------------------------------------------------------------------------

def test_sync_plan_adds_what_a_rule_covers_and_withdraws_what_it_no_longer_does():
    marketing, nursing = PersonFacts(1, 10, "employee"), PersonFacts(2, 20, "manager")
    instagram = RuleFacts(7, "instagram", 10, None)
    managers = RuleFacts(8, "linkedin", None, "manager")
    plan = sync_plan([marketing, nursing], [instagram, managers], [])
    assert [(pid, r.id) for pid, r in plan.add] == [(1, 7), (2, 8)] and plan.withdraw == []
    # Person 1 moved to nursing: the instagram rule no longer covers them; its refresher lapses with it.
    live = [LiveAssignment(100, 1, "instagram", "rule", 7), LiveAssignment(101, 1, "instagram", "refresher", None),
            LiveAssignment(102, 1, "core", "onboarding", None), LiveAssignment(103, 1, "core", "refresher", None)]
    plan = sync_plan([PersonFacts(1, 20, "employee")], [instagram, managers], live)
    assert plan.add == [] and sorted(aid for aid, _ in plan.withdraw) == [100, 101]
    # A refresher stays while another source (an approved request) still requires the platform.
    plan = sync_plan([PersonFacts(1, 20, "employee")], [instagram],
                     live + [LiveAssignment(104, 1, "instagram", "request", None)])
    assert [aid for aid, _ in plan.withdraw] == [100]


# --- rules ----------------------------------------------------------------------------------

def test_a_department_rule_requires_the_platform_of_its_people_only_and_ends_cleanly(app, course, people):
    now = utcnow()
    rule = add_rule(people.admin, "instagram", people.other_employee.department_id, None, now)
    db.session.commit()
    assert required_of(people.other_employee) == {"instagram"} == required_of(people.other_manager)
    assert required_of(people.employee) == set()
    org = build_dashboard(organization_query(), Filters(), now, None)
    instagram = org.summaries[columns(org).index("instagram")]
    assert instagram.total == 2 and instagram.compliant_percent == 0  # of the two it applies to, not of everyone
    # Mona's team: nobody there posts on Instagram, so no Instagram column at all.
    assert "instagram" not in columns(build_dashboard(reporting_line_query(people.manager), Filters(), now, None))

    later = now + timedelta(minutes=1)
    assert end_rule(people.admin, rule, later) == 2
    db.session.commit()
    assert required_of(people.other_employee) == set()
    assert db.session.scalar(select(func.count()).select_from(Assignment).where(Assignment.rule_id == rule.id)) == 2
    # What the records said before the rule ended stays what they say about then.
    past = build_dashboard(organization_query(), Filters(), now + timedelta(seconds=30), now + timedelta(seconds=30))
    assert past.summaries[columns(past).index("instagram")].total == 2
    with pytest.raises(RequirementError, match="removed already"):
        end_rule(people.admin, rule, later)


def test_the_core_certification_cannot_be_a_rule_and_a_rule_is_not_added_twice(app, course, people):
    with pytest.raises(RequirementError, match="core one is required of everyone"):
        add_rule(people.admin, "core", None, None, utcnow())
    add_rule(people.admin, "instagram", None, "manager", utcnow())
    with pytest.raises(RequirementError, match="exists already"):
        add_rule(people.admin, "instagram", None, "manager", utcnow())


def test_moving_department_applies_the_new_departments_rules(app, course, people):
    now = utcnow()
    add_rule(people.admin, "instagram", people.other_employee.department_id, None, now)
    db.session.commit()
    eli = people.employee
    update_person(people.admin, eli, PersonFields(eli.email, eli.full_name, eli.role, people.manager.id, "Marketing",
                                                  eli.hire_date), now)
    db.session.commit()
    assert required_of(eli) == {"instagram"}
    update_person(people.admin, eli, PersonFields(eli.email, eli.full_name, eli.role, people.manager.id, "Nursing",
                                                  eli.hire_date), now + timedelta(seconds=1))
    db.session.commit()
    assert required_of(eli) == set()
    withdrawal = db.session.scalar(select(AssignmentWithdrawal))
    assert "no longer applies" in withdrawal.reason


def test_someone_already_certified_has_until_their_certificate_expires(app, course, people):
    now = utcnow()
    certify(people.other_employee, now - timedelta(days=100))  # core and instagram, optional so far
    add_rule(people.admin, "instagram", people.other_employee.department_id, None, now)
    db.session.commit()
    assignment = db.session.scalar(select(Assignment).where(Assignment.user_id == people.other_employee.id,
                                                            Assignment.reason == "rule"))
    assert assignment.due_at.date() == (now - timedelta(days=100) + timedelta(days=365)).date()
    board = build_dashboard(organization_query(), Filters(), now + timedelta(days=60), None)
    row = next(r for r in board.rows if r.id == people.other_employee.id)
    assert row.cells[columns(board).index("instagram")].status.value == "certified"


def test_withdrawals_are_append_only(app, course, people):
    now = utcnow()
    rule = add_rule(people.admin, "instagram", None, "manager", now)
    end_rule(people.admin, rule, now)
    db.session.commit()
    for statement in ("UPDATE assignment_withdrawals SET reason = 'x'", "DELETE FROM assignment_withdrawals",
                      "DELETE FROM requirement_rule_ends"):
        with pytest.raises(Exception, match="append-only"):
            with db.session.begin_nested():
                db.session.execute(text(statement))
    db.session.rollback()


# --- through the browser's forms ------------------------------------------------------------

def sign_in(app, person):
    from tests.factories import PASSWORD

    c = app.test_client()
    assert c.post("/login", data={"email": person.email, "password": PASSWORD,
                                  "csrf_token": csrf_token(c)}).status_code == 302
    return c


def test_a_person_asks_their_manager_approves_and_it_becomes_required(app, course, people):
    require(people.employee, at=utcnow() - timedelta(days=1))
    db.session.commit()
    eli, mona, otto = sign_in(app, people.employee), sign_in(app, people.manager), sign_in(app, people.other_manager)
    page = eli.get("/").text
    assert "Optional: platforms you do not post on" in page and "Ask to post on Test Instagram" in page
    asked = eli.post("/training/platforms", data={"certification": "instagram", "note": "Clinic open days",
                                                  "csrf_token": csrf_token(eli, "/")}, follow_redirects=True)
    assert "Asked." in asked.text and "Your manager has not decided yet" in asked.text
    again = eli.post("/training/platforms", data={"certification": "instagram", "csrf_token": csrf_token(eli, "/")},
                     follow_redirects=True)
    assert "You have asked for Test Instagram already" in again.text

    team = mona.get("/team").text
    assert "Asking to post (1)" in team and "Clinic open days" in team
    request_id = int(team.split("/requests/")[1].split("/")[0])
    decide = {"decision": "approve", "note": "", "back": "/team"}
    assert otto.post(f"/requests/{request_id}/decide", data={**decide, "csrf_token": csrf_token(otto, "/")}
                     ).status_code == 404  # not his team: not told it exists
    assert eli.post(f"/requests/{request_id}/decide", data={**decide, "csrf_token": csrf_token(eli, "/")}
                    ).status_code == 403  # nobody approves their own request
    approved = mona.post(f"/requests/{request_id}/decide", data={**decide, "csrf_token": csrf_token(mona, "/")},
                         follow_redirects=True)
    assert "Approved: Eli Employee, Test Instagram." in approved.text and "Asking to post" not in approved.text
    assert required_of(people.employee) == {"core", "instagram"}
    page = eli.get("/").text
    required = page.split('id="required-heading"')[1].split("</section>")[0]
    assert "Test Instagram" in required and "Due " in required and "0 of 3 required modules complete" in page
    # Twice is once: the decision stands.
    twice = mona.post(f"/requests/{request_id}/decide", data={**decide, "csrf_token": csrf_token(mona, "/")},
                      follow_redirects=True)
    assert "decided already" in twice.text

    # Mona takes it back from Eli's page: the platform is optional for him again.
    person_page = mona.get(f"/people/{people.employee.id}").text
    assert "Asked for it; approved" in person_page and "Withdraw" in person_page
    mona.post(f"/people/{people.employee.id}/requirements/instagram/withdraw",
              data={"csrf_token": csrf_token(mona, "/")})
    assert required_of(people.employee) == {"core"}
    assert "Ended" in mona.get(f"/people/{people.employee.id}").text


def test_a_declined_request_tells_the_person_why(app, course, people):
    request = request_platform(people.employee, "instagram", "", utcnow())
    db.session.commit()
    mona, eli = sign_in(app, people.manager), sign_in(app, people.employee)
    mona.post(f"/requests/{request.id}/decide", data={"decision": "decline", "note": "We post from Marketing only",
                                                      "csrf_token": csrf_token(mona, "/")})
    page = eli.get("/").text
    assert "was declined: “We post from Marketing only”" in page and "Ask to post on Test Instagram" in page
    assert required_of(people.employee) == set()


def test_the_admin_rules_page_adds_and_removes_a_rule(app, course, people):
    ada = sign_in(app, people.admin)
    page = ada.get("/requirements").text
    assert "Who must earn what" in page and "No rules yet" in page
    marketing = str(people.other_employee.department_id)
    added = ada.post("/requirements", data={"certification": "instagram", "department": marketing, "role": "",
                                            "csrf_token": csrf_token(ada, "/requirements")}, follow_redirects=True)
    assert "Rule added" in added.text and "Everyone in Marketing" in added.text
    bad = ada.post("/requirements", data={"certification": "core", "department": "", "role": "",
                                          "csrf_token": csrf_token(ada, "/requirements")})
    assert bad.status_code == 400 and "Not a valid choice" in bad.text
    rule_id = int(added.text.split("/requirements/")[1].split("/")[0])
    removed = ada.post(f"/requirements/{rule_id}/remove", data={"csrf_token": csrf_token(ada, "/requirements")},
                       follow_redirects=True)
    assert "Rule removed. 2 requirements it alone made ended." in removed.text


def test_the_hr_import_applies_the_rules_to_the_people_it_creates_and_moves(cli, course, people, tmp_path):
    add_rule(people.admin, "instagram", people.other_employee.department_id, None, utcnow())
    db.session.commit()
    path = tmp_path / "hr.csv"
    path.write_text("email,full_name,role,status,department,manager_email\n"
                    "nova@test-health.example,Nova New,employee,active,Marketing,otto@test-health.example\n"
                    "eli@test-health.example,Eli Employee,employee,active,Marketing,\n", encoding="utf-8")
    result = cli("staff", "import", str(path))
    assert result.exit_code == 0, result.output
    from app.accounts.services import find_by_email

    assert required_of(find_by_email("nova@test-health.example")) == {"core", "instagram"}
    assert "instagram" in required_of(people.employee)

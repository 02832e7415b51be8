"""Staff CSV import: planning the changes a checked file makes. Pure; no app or database."""
from datetime import date

from hypothesis import HealthCheck, given, settings

from app.staff.csv_import import ParsedFile, RowError, parse_staff_csv
from app.staff.plan import Change, fingerprint, plan_import
from tests.staff_rows import (
    FIXTURES,
    apply_to_snapshot,
    only_error,
    person,
    plan_csv,
    row,
    staff_lists,
    where,
    write_csv,
)

# --- planning ---------------------------------------------------------------------------------------

def test_new_active_people_are_created_with_managers_from_anywhere_in_the_file():
    plan = plan_csv(row(email="nurse@example.org", manager="lead@example.org"),
                    row(email="lead@example.org", manager="boss@example.org", role="manager"),
                    existing=[person(1, "boss@example.org", role="admin")])
    assert plan.ok and [p.action for p in plan.people] == ["create", "create"]
    assert [p.person_id for p in plan.people] == [None, None]


def test_unknown_manager():
    plan = plan_csv(row(), row(email="bo@example.org", manager="Ghost@Example.org"))
    error = only_error(plan)
    assert (error.line, error.column) == (3, "manager_email")
    assert error.message == "unknown manager ghost@example.org: add them to the file or create them first"


def test_manager_deactivated_in_database():
    plan = plan_csv(row(manager="old@example.org"), existing=[person(1, "old@example.org", active=False)])
    error = only_error(plan)
    assert error.line == 2 and "manager old@example.org is deactivated" in error.message


def test_inactive_manager_may_be_reactivated_by_the_same_file():
    existing = [person(1, "old@example.org", active=False)]
    plan = plan_csv(row(manager="old@example.org"), row(email="old@example.org"), existing=existing)
    assert plan.ok and [p.action for p in plan.people] == ["create", "reactivate"]


def test_manager_on_a_line_with_errors():
    plan = plan_csv(row(email="boss@example.org", hire_date="yesterday"), row(manager="boss@example.org"))
    assert where(plan.errors) == [(2, "hire_date"), (3, "manager_email")]
    assert plan.errors[1].message == "manager boss@example.org is on line 2, which has errors; fix that line first"


def test_terminate_deactivates_and_applies_field_changes():
    existing = [person(7, "ann@example.org", department="ICU")]
    plan = plan_csv(row(status="terminated"), existing=existing)
    assert plan.ok
    (ann,) = plan.deactivations
    assert (ann.line, ann.person_id, ann.changes) == (2, 7, (Change("department", "ICU", "Nursing"),))


def test_terminated_and_already_inactive_is_unchanged():
    plan = plan_csv(row(status="terminated"), existing=[person(7, "ann@example.org", active=False)])
    assert [p.action for p in plan.people] == ["unchanged"] and not plan.changes_anything
    assert not plan.people[0].skipped


def test_terminated_and_never_existed_is_skipped():
    plan = plan_csv(row(status="terminated", manager="gone@example.org"))
    assert plan.ok  # a skipped row's manager is not checked
    (ann,) = plan.people
    assert (ann.action, ann.skipped, ann.person_id) == ("unchanged", True, None)
    assert not plan.changes_anything


def test_reactivation():
    existing = [person(3, "ann@example.org", role="manager", active=False)]
    plan = plan_csv(row(), existing=existing)
    (ann,) = plan.reactivations
    assert ann.line == 2 and ann.person_id == 3 and ann.changes == (Change("role", "manager", "employee"),)


def test_update_lists_changes_and_same_values_are_unchanged():
    existing = [
        person(1, "boss@example.org", role="admin"),
        person(2, "ann@example.org", name="Ann  Lee ", department="ICU", hire_date=None),
        person(3, "BO@example.org", name="Bo", manager="BOSS@example.org"),
    ]
    plan = plan_csv(row(), row(email="bo@example.org", name="Bo", manager="boss@example.org"), existing=existing)
    assert plan.ok
    assert [(p.email, p.action) for p in plan.people] == [("ann@example.org", "update"),
                                                          ("bo@example.org", "unchanged")]
    assert plan.updates[0].changes == (Change("department", "ICU", "Nursing"),
                                       Change("hire_date", None, date(2024, 1, 15)))


def test_absent_optional_columns_leave_those_fields_alone():
    existing = [person(1, "boss@example.org"), person(2, "ann@example.org", manager="boss@example.org")]
    plan = plan_import(parse_staff_csv(b"email,full_name,role,status\nann@example.org,Ann Lee,manager,active\n"),
                       existing)
    assert plan.updates[0].changes == (Change("role", "employee", "manager"),)


def test_people_absent_from_the_file_are_left_alone():
    existing = [person(1, "ann@example.org"), person(2, "zed@example.org")]
    plan = plan_csv(row(), existing=existing)
    assert [p.email for p in plan.people] == ["ann@example.org"] and not plan.changes_anything


def test_deactivating_a_manager_of_people_not_in_the_file_is_a_warning():
    existing = [person(1, "boss@example.org", role="manager"), person(2, "zed@example.org", manager="boss@example.org")]
    plan = plan_csv(row(email="boss@example.org", role="manager", status="terminated"), existing=existing)
    assert plan.ok and len(plan.deactivations) == 1
    (warning,) = plan.warnings
    assert warning.line == 2 and "zed@example.org" in warning.message


def test_manager_terminated_in_the_same_file_while_reports_stay_active():
    existing = [person(1, "boss@example.org", role="manager"), person(2, "ann@example.org", manager="boss@example.org")]
    plan = plan_csv(row(email="boss@example.org", role="manager", status="terminated"),
                    row(manager="boss@example.org"),
                    row(email="cy@example.org", manager="boss@example.org", status="terminated"),
                    existing=existing)
    error = only_error(plan)
    assert (error.line, error.column) == (3, "manager_email")
    assert error.message.startswith("manager boss@example.org is terminated on line 2, but this person stays active")


def test_terminated_manager_who_never_existed_cannot_manage_anyone():
    existing = [person(2, "ann@example.org")]
    plan = plan_csv(row(email="ghost@example.org", status="terminated"),
                    row(manager="ghost@example.org", status="terminated"), existing=existing)
    error = only_error(plan)
    assert error.line == 3 and "is terminated on line 2 and is not in PostReady" in error.message


def test_manager_loop_in_the_file():
    plan = plan_csv(row(email="a@example.org", manager="b@example.org"),
                    row(email="b@example.org", manager="a@example.org"))
    assert where(plan.errors) == [(2, "manager_email"), (3, "manager_email")]
    assert "the reporting line loops: a@example.org → b@example.org → a@example.org" in plan.errors[0].message
    assert "b@example.org → a@example.org → b@example.org" in plan.errors[1].message


def test_manager_loop_through_the_database():
    existing = [person(1, "a@example.org"), person(2, "b@example.org", manager="a@example.org"),
                person(3, "c@example.org", manager="b@example.org")]
    plan = plan_csv(row(email="a@example.org", manager="c@example.org"), existing=existing)
    error = only_error(plan)
    assert error.line == 2
    assert "a@example.org → c@example.org → b@example.org → a@example.org" in error.message


def test_long_loop_is_named_briefly():
    lines = [row(email=f"p{i}@example.org", manager=f"p{(i + 1) % 20}@example.org") for i in range(20)]
    plan = plan_csv(*lines)
    assert len(plan.errors) == 20
    assert plan.errors[0].message.startswith(
        "the reporting line loops: p0@example.org → p1@example.org → p2@example.org → p3@example.org → "
        "p4@example.org → … 14 more … → p19@example.org → p0@example.org")


def test_file_can_break_a_loop_and_database_only_loops_are_not_this_files_doing():
    existing = [person(1, "a@example.org", manager="b@example.org"),
                person(2, "b@example.org", manager="a@example.org"),
                person(3, "c@example.org", manager="d@example.org"),
                person(4, "d@example.org", manager="c@example.org")]
    assert plan_csv(row(email="a@example.org"), existing=existing).ok  # blank: keeps b, the old loop stays
    plan = plan_csv(row(email="a@example.org", manager="(clear)"), existing=existing)
    assert plan.ok and plan.updates[0].changes == (Change("manager_email", "b@example.org", None),)


def test_parse_and_plan_errors_are_combined_and_sorted():
    plan = plan_csv(row(manager="ghost@example.org"), row(email="x"),
                    row(email="bo@example.org", manager="nope@example.org"))
    assert where(plan.errors) == [(2, "manager_email"), (3, "email"), (4, "manager_email")]
    assert not plan.ok and plan.changes_anything  # the caller refuses to apply a plan that is not ok


def test_a_refused_row_has_its_manager_checked_in_the_same_round():
    plan = plan_csv(row(hire_date="soon", manager="ghost@example.org"),
                    row(email="bo@example.org", role="chief", manager="old@example.org"),
                    row(email="cy@example.org", role="chief", manager="ghost@example.org", status="terminated"),
                    existing=[person(1, "old@example.org", active=False)])
    assert where(plan.errors) == [(2, "hire_date"), (2, "manager_email"), (3, "role"), (3, "manager_email"),
                                  (4, "role")]
    assert plan.errors[1].message.startswith("unknown manager ghost@example.org")
    assert plan.errors[3].message.startswith("manager old@example.org is deactivated in PostReady")


def test_fingerprint_follows_what_the_dry_run_shows():
    existing = [person(1, "ann@example.org")]
    first = plan_csv(row(department="ICU"), existing=existing)
    assert fingerprint(first) == fingerprint(plan_csv(row(department="ICU"), existing=existing))
    moved = [person(1, "ann@example.org", department="Pharmacy")]
    assert fingerprint(first) != fingerprint(plan_csv(row(department="ICU"), existing=moved))
    assert fingerprint(first) != fingerprint(plan_csv(row(department="ICU"), existing=[]))


def test_file_errors_come_first():
    parsed = ParsedFile((), (RowError(3, "email", "b"), RowError(None, None, "a")))
    assert [e.message for e in plan_import(parsed, []).errors] == ["a", "b"]


# --- idempotence ------------------------------------------------------------------------------------

def test_replanning_the_sample_export_after_applying_it_changes_nothing():
    parsed = parse_staff_csv((FIXTURES / "hr_export.csv").read_bytes())
    state = apply_to_snapshot(plan_import(parsed, []), [])
    again = plan_import(parsed, state)
    assert again.ok and not again.changes_anything
    assert {p.action for p in again.people} == {"unchanged"}


def test_replanning_after_updates_deactivations_and_reactivations_changes_nothing():
    existing = [
        person(1, "maria.alvarez@example.org", role="manager", department="ED"),   # update
        person(2, "peter.wolfe@example.org", manager="sam.patel@example.org"),     # deactivate + changes
        person(3, "sam.patel@example.org", active=False),                          # reactivate + changes
        person(4, "zed@example.org", manager="maria.alvarez@example.org"),         # absent: left alone
    ]
    parsed = parse_staff_csv((FIXTURES / "hr_export.csv").read_bytes())
    first = plan_import(parsed, existing)
    assert first.ok
    assert {p.email: p.action for p in first.people if p.action != "create"} == {
        "maria.alvarez@example.org": "update", "peter.wolfe@example.org": "deactivate",
        "sam.patel@example.org": "reactivate"}
    state = apply_to_snapshot(first, existing)
    again = plan_import(parsed, state)
    assert again.ok and not again.changes_anything
    assert next(p for p in state if p.email == "zed@example.org") == existing[3]


# --- properties -------------------------------------------------------------------------------------

@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(staff_lists(), staff_lists())
def test_applying_a_plan_then_replanning_changes_nothing(first_file, second_file):
    state = []
    for people in (first_file, second_file):
        parsed = parse_staff_csv(write_csv(people, False, "\n").encode("utf-8"))
        plan = plan_import(parsed, state)
        if plan.ok:
            state = apply_to_snapshot(plan, state)
            again = plan_import(parsed, state)
            assert again.ok and not again.changes_anything, [(p.email, p.action, p.changes) for p in again.people]

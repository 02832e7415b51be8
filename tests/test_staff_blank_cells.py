"""Blank and (clear) in the optional columns (department, manager_email, hire_date): a blank cell keeps
what PostReady has for an existing person, (clear) empties the field; for a new person both mean none.
Pure: parsing and planning, no app or database (over HTTP: test_staff_upload.py)."""
from datetime import date

from app.staff.csv_import import parse_staff_csv
from app.staff.plan import Change
from tests.staff_rows import make_csv, only_error, person, plan_csv, row, where


def test_blank_optional_cells_are_kept_and_clear_is_not():
    parsed = parse_staff_csv(make_csv(row(department=" ", manager="", hire_date=""),
                                      row(email="bo@example.org", department="(clear)", manager="(Clear)",
                                          hire_date=" (clear) ")))
    ann, bo = parsed.rows
    assert ann.kept == {"department", "manager_email", "hire_date"} and bo.kept == frozenset()
    assert (bo.department, bo.manager_email, bo.hire_date) == ("", None, None)


def test_blank_optional_cell_keeps_the_stored_value_and_clear_empties_it():
    existing = [person(1, "boss@example.org"), person(2, "ann@example.org", manager="boss@example.org"),
                person(3, "bo@example.org", manager="boss@example.org")]
    plan = plan_csv(row(department="", manager="", hire_date="", name="Ann Lee-Smith"),
                    row(email="bo@example.org", department="(clear)", manager=" (Clear) ", hire_date="(CLEAR)"),
                    existing=existing)
    assert plan.ok
    ann, bo = plan.updates
    assert ann.changes == (Change("full_name", "Ann Lee", "Ann Lee-Smith"),)
    assert (ann.row.department, ann.row.manager_email, ann.row.hire_date) == ("Nursing", "boss@example.org",
                                                                              date(2024, 1, 15))
    assert bo.changes == (Change("department", "Nursing", ""), Change("manager_email", "boss@example.org", None),
                          Change("hire_date", date(2024, 1, 15), None))


def test_blank_and_clear_both_mean_none_for_a_new_person():
    plan = plan_csv(row(department="", manager="", hire_date=""),
                    row(email="bo@example.org", department="(clear)", manager="(clear)", hire_date="(clear)"))
    assert plan.ok and [p.action for p in plan.people] == ["create", "create"]
    for planned in plan.people:
        assert (planned.row.department, planned.row.manager_email, planned.row.hire_date) == ("", None, None)


def test_clear_in_a_required_column_is_an_error():
    plan = plan_csv(row(name="(clear)", role="(clear)"))
    assert where(plan.errors) == [(2, "full_name"), (2, "role")]
    assert plan.errors[0].message.startswith("full_name is required, so it cannot be cleared; (clear) only")


def test_a_kept_manager_the_file_terminates_is_an_error_on_the_row_that_keeps_them():
    existing = [person(1, "boss@example.org", role="manager"), person(2, "ann@example.org", manager="boss@example.org"),
                person(3, "bo@example.org", manager="boss@example.org")]
    plan = plan_csv(row(email="boss@example.org", role="manager", status="terminated"),
                    row(),                                            # keeps boss: the file's problem
                    row(email="bo@example.org", manager="(clear)"),   # says none: fine
                    existing=existing)
    error = only_error(plan)
    assert (error.line, error.column) == (3, "manager_email")
    assert "blank, which keeps this person's manager boss@example.org, but line 2 terminates" in error.message


def test_a_kept_manager_already_deactivated_is_not_this_files_doing():
    existing = [person(1, "old@example.org", active=False), person(2, "ann@example.org", manager="old@example.org")]
    plan = plan_csv(row(department="ICU"), existing=existing)
    assert plan.ok and plan.updates[0].changes == (Change("department", "Nursing", "ICU"),)


def test_a_loop_through_a_kept_manager_is_named_on_the_row_that_sets_one():
    existing = [person(1, "a@example.org", manager="b@example.org"), person(2, "b@example.org")]
    plan = plan_csv(row(email="a@example.org"), row(email="b@example.org", manager="a@example.org"),
                    existing=existing)
    error = only_error(plan)
    assert error.line == 3 and "b@example.org → a@example.org → b@example.org" in error.message

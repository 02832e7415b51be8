"""Staff CSV import: reading and checking the file. Pure; no app or database (planning: test_staff_plan.py)."""
import unicodedata
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.staff import csv_import
from app.staff.csv_import import MAX_BYTES, MAX_ROWS, ParsedFile, RowError, StaffRow, parse_staff_csv
from app.staff.plan import plan_import
from tests.staff_rows import FIXTURES, HEADER, expected_rows, make_csv, only_error, row, staff_lists, where, write_csv

# --- the sample exports ----------------------------------------------------------------------

def test_sample_export_parses_cleanly():
    parsed = parse_staff_csv((FIXTURES / "hr_export.csv").read_bytes())
    assert parsed.ok and parsed.errors == ()
    assert len(parsed.rows) == 15
    assert parsed.ignored_columns == ("Employee ID",)
    assert {r.department for r in parsed.rows} == {"Emergency Department", "Pharmacy"}
    jordan = next(r for r in parsed.rows if r.full_name == "Jordan Lee")
    assert jordan == StaffRow(4, "jordan.lee@example.org", "Jordan Lee", "Emergency Department",
                              "sam.patel@example.org", "employee", date(2019, 3, 14), "active")
    assert next(r for r in parsed.rows if r.line == 8).full_name == "Silva, Mateo"
    assert next(r for r in parsed.rows if r.line == 14).full_name == "Inês Duarte"
    assert [r.line for r in parsed.rows if r.status == "terminated"] == [16]
    assert next(r for r in parsed.rows if r.line == 9).hire_date is None


def test_sample_export_plans_a_manager_chain_over_an_empty_database():
    plan = plan_import(parse_staff_csv((FIXTURES / "hr_export.csv").read_bytes()), [])
    assert plan.ok and plan.errors == () and plan.warnings == ()
    assert len(plan.creates) == 14
    # Peter Wolfe is terminated and was never in the database: skipped, nobody is created.
    (peter,) = plan.unchanged
    assert (peter.line, peter.email, peter.skipped, peter.person_id) == (16, "peter.wolfe@example.org", True, None)
    assert plan.changes_anything


def test_file_with_mistakes_reports_every_one_with_its_line():
    plan = plan_import(parse_staff_csv((FIXTURES / "hr_export_with_errors.csv").read_bytes()), [])
    assert not plan.ok
    assert where(plan.errors) == [
        (3, "email"), (4, "hire_date"), (5, "email"), (6, "role"), (7, "status"), (8, "full_name"),
        (9, "manager_email"), (10, None), (13, "hire_date"), (14, "hire_date"), (15, "manager_email"),
    ]
    messages = [e.message for e in plan.errors]
    assert "not a valid email address" in messages[0]
    assert "2026-02-30" in messages[1] and "use YYYY-MM-DD" in messages[1]
    assert messages[2].startswith("duplicate of line 2 (emails differ only in case)")
    assert "nurse" in messages[3] and "employee, manager or admin" in messages[3]
    assert "inactive" in messages[4] and "active or terminated" in messages[4]
    assert "looks like a spreadsheet formula" in messages[5]
    assert messages[6] == "unknown manager nobody@example.org: add them to the file or create them first"
    assert "8 values" in messages[7] and "7 columns" in messages[7]
    assert "there is no month 13" in messages[8]
    assert "four digits" in messages[9]
    assert "is on line 4, which has errors; fix that line first" in messages[10]
    # Lucy's name spans lines 11-12; she is fine and keeps her starting line.
    lucy = next(p for p in plan.people if p.email == "lucy.nguyen@example.org")
    assert (lucy.line, lucy.row.full_name) == (11, "Lucy Nguyen")


# --- RowError and ParsedFile -------------------------------------------------------------------

def test_row_error_text():
    assert str(RowError(7, "hire_date", "bad date")) == "line 7, hire_date: bad date"
    assert str(RowError(7, None, "too many values")) == "line 7: too many values"
    assert str(RowError(None, None, "file too big")) == "file too big"


def test_parsed_file_ok():
    assert ParsedFile((), ()).ok
    assert not ParsedFile((), (RowError(None, None, "x"),)).ok


# --- size and encoding ----------------------------------------------------------------------------

def test_too_big_file_is_one_error_naming_the_limit():
    data = make_csv(row()) + b"x" * MAX_BYTES
    parsed = parse_staff_csv(data)
    error = only_error(parsed)
    assert error.line is None and parsed.rows == ()
    assert "5 MB" in error.message and "split it" in error.message


def test_file_of_exactly_the_limit_is_read():
    pad = "x" * 100_000  # in an ignored column
    lines = [row(email=f"p{i}@example.org") + "," + pad for i in range(MAX_BYTES // len(pad) + 1)]
    excess = len(make_csv(*lines, header=HEADER + ",notes")) - MAX_BYTES
    lines[-1] = lines[-1][:-excess]  # shorten the last padding to land exactly on the limit
    data = make_csv(*lines, header=HEADER + ",notes")
    assert len(data) == MAX_BYTES
    parsed = parse_staff_csv(data)
    assert parsed.ok and len(parsed.rows) == len(lines)


def test_too_many_rows():
    lines = [row(email=f"p{i}@example.org", name=f"P {i}") for i in range(MAX_ROWS + 1)]
    error = only_error(parse_staff_csv(make_csv(*lines)))
    assert error.line is None
    assert "50,001 staff rows" in error.message and "50,000" in error.message


def test_exactly_max_rows_is_allowed(monkeypatch):
    monkeypatch.setattr(csv_import, "MAX_ROWS", 3)
    three = [row(email=f"p{i}@example.org") for i in range(3)]
    assert parse_staff_csv(make_csv(*three)).ok
    assert "over the limit of 3" in only_error(parse_staff_csv(make_csv(*three, row(email="x@example.org")))).message


@pytest.mark.parametrize("encoding, name", [
    ("utf-16", "UTF-16"), ("utf-16-le", "UTF-16"), ("utf-16-be", "UTF-16"), ("utf-32", "UTF-32"),
    ("utf-32-le", "UTF-32"),
])
def test_utf16_and_utf32_are_refused(encoding, name):
    data = make_csv(row()).decode("utf-8").encode(encoding)
    error = only_error(parse_staff_csv(data))
    assert error.line is None
    assert error.message.startswith(f"unsupported encoding (looks like {name}): save the file as CSV UTF-8")


def test_invalid_utf8_names_the_line_and_offset_of_the_first_bad_byte():
    good = make_csv(row())
    bad_line = row(name="Jos\udce9 Garc\udced").encode("utf-8", "surrogateescape")  # Latin-1 é and í
    data = good + bad_line + b"\n"
    error = only_error(parse_staff_csv(data))
    offset = len(good) + bad_line.index(b"\xe9")
    assert error.line == 3
    assert f"byte 0xE9 at byte offset {offset}" in error.message
    assert "not valid UTF-8" in error.message and "CSV UTF-8" in error.message


def test_invalid_utf8_line_counts_crlf_and_bom():
    data = b"\xef\xbb\xbf" + make_csv(row(), row(email="bo@example.org"), newline="\r\n") + b"caf\xe9\r\n"
    error = only_error(parse_staff_csv(data))
    assert error.line == 4 and f"offset {len(data) - 3}" in error.message


def test_utf8_bom_is_accepted():
    data = b"\xef\xbb\xbf" + make_csv(row(name="José García"))
    parsed = parse_staff_csv(data)
    assert parsed.ok
    assert [(r.line, r.email, r.full_name) for r in parsed.rows] == [(2, "ann@example.org", "José García")]


def test_nul_byte_is_refused_with_its_line():
    data = make_csv(row(), row(email="bo@example.org", name="Bo\x00b"))
    error = only_error(parse_staff_csv(data))
    assert error.line == 3 and "NUL" in error.message


def test_empty_file():
    for data in (b"", b"\xef\xbb\xbf", b"\n\n  \n"):
        error = only_error(parse_staff_csv(data))
        assert error.line is None and "empty" in error.message


# --- CSV structure and line numbers -----------------------------------------------------------------

def test_quoted_multiline_field_keeps_later_line_numbers_right():
    data = make_csv(
        row(email="ann@example.org", name="Ann\nMarie\nLee"),      # lines 2-4
        row(email="bob@example.org", department="Pharmacy, Main\nCampus"),  # lines 5-6
        row(email="not-an-email"),                                  # line 7
    )
    parsed = parse_staff_csv(data)
    assert [(r.line, r.full_name, r.department) for r in parsed.rows] == [
        (2, "Ann Marie Lee", "Nursing"), (5, "Ann Lee", "Pharmacy, Main Campus")]
    assert where(parsed.errors) == [(7, "email")]


def test_multiline_field_with_crlf_line_endings():
    data = make_csv(row(name="Ann\r\nLee"), row(email="x"), newline="\r\n")
    parsed = parse_staff_csv(data)
    assert parsed.rows[0].line == 2 and parsed.rows[0].full_name == "Ann Lee"
    assert where(parsed.errors) == [(4, "email")]


def test_blank_lines_are_skipped_and_lines_stay_physical():
    data = make_csv("", row(), "", ",,,,,,", row(email="bad"))
    parsed = parse_staff_csv(data)
    assert [r.line for r in parsed.rows] == [3]
    assert where(parsed.errors) == [(6, "email")]


def test_wrong_number_of_fields_is_a_row_error_and_reading_goes_on():
    data = make_csv(row(), "bo@example.org,Bo,Nursing,,employee,2024-01-01", row(email="cy@example.org"),
                    row(email="di@example.org") + ",extra")
    parsed = parse_staff_csv(data)
    assert [r.line for r in parsed.rows] == [2, 4]
    assert where(parsed.errors) == [(3, None), (5, None)]
    assert "this row has 6 values but the header has 7 columns" in parsed.errors[0].message
    assert "double quotes" in parsed.errors[0].message
    assert "8 values" in parsed.errors[1].message


def test_unclosed_quote_is_reported_at_the_line_it_starts():
    data = make_csv(row(), 'bo@example.org,"Bo Smith,Nursing,,employee,2024-01-01,active', row(email="cy@example.org"))
    parsed = parse_staff_csv(data)
    error = only_error(parsed)
    assert error.line == 3 and "never closed" in error.message
    assert [r.line for r in parsed.rows] == [2]


def test_overlong_value_is_reported_and_reading_goes_on():
    data = make_csv(row(name="x" * 200_000), row(email="bo@example.org"))
    parsed = parse_staff_csv(data)
    error = only_error(parsed)
    assert error.line == 2 and "longer than 131,072 characters" in error.message
    assert [r.line for r in parsed.rows] == [3]


def test_text_after_closing_quote_is_a_row_error():
    data = make_csv('bo@example.org,"Bo" Smith,Nursing,,employee,2024-01-01,active', row(email="cy@example.org"))
    parsed = parse_staff_csv(data)
    assert where(parsed.errors) == [(2, None)]
    assert [r.line for r in parsed.rows] == [3]


# --- header ---------------------------------------------------------------------------------------

def test_missing_required_column_lists_what_was_found():
    data = make_csv("ann@example.org,Ann Lee,Nursing", header="Email,Name,Dept")
    parsed = parse_staff_csv(data)
    error = only_error(parsed)
    assert error.line == 1 and parsed.rows == ()
    assert "missing the required columns role, status" in error.message
    assert "Found: 'Email', 'Name', 'Dept'" in error.message


def test_rows_are_still_checked_when_the_header_misses_a_column():
    data = make_csv("ann@example.org,Ann Lee,Nursing,,2024-02-30", "ann@example.org,,ICU,boss,",
                    header="email,full_name,department,manager_email,hire_date")
    parsed = parse_staff_csv(data)
    assert where(parsed.errors) == [(1, None), (2, "hire_date"), (3, "full_name"), (3, "manager_email"), (3, "email")]
    assert "missing the required columns role, status" in parsed.errors[0].message
    assert parsed.rows == ()


def test_semicolon_separated_file_gets_a_hint():
    error = only_error(parse_staff_csv(b"email;full_name;role;status\nann@example.org;Ann;employee;active\n"))
    assert error.line == 1 and "semicolons" in error.message


def test_duplicate_column_is_an_error():
    data = make_csv(row() + ",x", header=HEADER + ",E-mail")
    error = only_error(parse_staff_csv(data))
    assert error.line == 1
    assert "columns 1 ('email') and 8 ('E-mail') both mean email" in error.message


def test_header_aliases_case_and_spaces_and_extra_columns():
    header = "  E-MAIL , Name,Dept,Manager,Start Date,Employment Status, ROLE ,Employee ID,Cost Center"
    data = make_csv("Ann@Example.org,Ann Lee,ICU,,3/1/2020,Active,Employee,77,CC1", header=header)
    parsed = parse_staff_csv(data)
    assert parsed.ok
    assert parsed.rows == (
        StaffRow(2, "ann@example.org", "Ann Lee", "ICU", None, "employee", date(2020, 3, 1), "active",
                 kept=frozenset({"manager_email"})),)
    assert parsed.ignored_columns == ("Employee ID", "Cost Center")


def test_optional_columns_may_be_absent():
    parsed = parse_staff_csv(b"status,role,full_name,email\nactive,manager,Ann Lee,ann@example.org\n")
    assert parsed.ok and parsed.columns == ("email", "full_name", "role", "status")
    assert parsed.rows[0] == StaffRow(2, "ann@example.org", "Ann Lee", "", None, "manager", None, "active")


# --- cells ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("email", ["ann.example.org", "ann@", "ann lee@example.org", "ann@@example.org",
                                   "Ann Lee <ann@example.org>", "ann@localhost"])
def test_bad_email(email):
    error = only_error(parse_staff_csv(make_csv(row(), row(email=email))))
    assert (error.line, error.column) == (3, "email")
    assert "is not a valid email address" in error.message and "name@example.org" in error.message


def test_blank_email():
    error = only_error(parse_staff_csv(make_csv(row(email="  "))))
    assert (error.line, error.column) == (2, "email") and "email is blank" in error.message


def test_email_is_stripped_and_lowercased():
    parsed = parse_staff_csv(make_csv(row(email="  Ann.Lee@Example.ORG ", manager=" Boss@Example.org")))
    assert (parsed.rows[0].email, parsed.rows[0].manager_email) == ("ann.lee@example.org", "boss@example.org")


def test_duplicate_email_differing_only_in_case_names_the_earlier_line():
    data = make_csv(row(email="bo@example.org"), row(email="ann@example.org"), row(email="Ann@Example.org"))
    parsed = parse_staff_csv(data)
    error = only_error(parsed)
    assert (error.line, error.column) == (4, "email")
    assert error.message.startswith("duplicate of line 3 (emails differ only in case)")
    assert [r.line for r in parsed.rows] == [2, 3]


def test_exact_duplicate_email():
    error = only_error(parse_staff_csv(make_csv(row(), row(name="Other"))))
    assert (error.line, error.column) == (3, "email")
    assert error.message.startswith("duplicate of line 2: ") and "differ only in case" not in error.message


def test_full_name_required_and_limited():
    parsed = parse_staff_csv(make_csv(row(name=" "), row(email="bo@example.org", name="x" * 301),
                                      row(email="cy@example.org", name="  Cy   van\tDyke ")))
    assert where(parsed.errors) == [(2, "full_name"), (3, "full_name")]
    assert "full_name is blank" in parsed.errors[0].message
    assert "301 characters" in parsed.errors[1].message and "at most 300" in parsed.errors[1].message
    assert parsed.rows[0].full_name == "Cy van Dyke"


def test_name_is_nfc_normalised():
    decomposed = unicodedata.normalize("NFD", "Inês Duarte")
    assert parse_staff_csv(make_csv(row(name=decomposed))).rows[0].full_name == "Inês Duarte"


def test_role_and_status_are_case_insensitive_but_strict():
    parsed = parse_staff_csv(make_csv(
        row(role=" Manager ", status="TERMINATED"),
        row(email="bo@example.org", role="boss"),
        row(email="cy@example.org", status="inactive"),
        row(email="di@example.org", role=""),
    ))
    assert (parsed.rows[0].role, parsed.rows[0].status) == ("manager", "terminated")
    assert where(parsed.errors) == [(3, "role"), (4, "status"), (5, "role")]
    assert parsed.errors[0].message == "role 'boss' is not allowed; use employee, manager or admin"
    assert parsed.errors[1].message.startswith("status 'inactive' is not allowed; use active or terminated")
    assert parsed.errors[2].message == "role is blank; use employee, manager or admin"


@pytest.mark.parametrize("text, expected", [
    ("2024-03-15", date(2024, 3, 15)),
    ("3/15/2024", date(2024, 3, 15)),
    ("03/05/2024", date(2024, 3, 5)),
    ("2/29/2024", date(2024, 2, 29)),
    ("", None),
])
def test_good_dates(text, expected):
    parsed = parse_staff_csv(make_csv(row(hire_date=text)))
    assert parsed.ok and parsed.rows[0].hire_date == expected


@pytest.mark.parametrize("text, reason", [
    ("2026-02-30", "month 2 has no day 30"),
    ("2025-02-29", "month 2 has no day 29"),
    ("13/45/2026", "there is no month 13"),
    ("26-01-05", "the year must have four digits"),
    ("1/5/26", "the year must have four digits"),
    ("2024/01/05", "not a recognised date format"),
    ("March 3, 2024", "not a recognised date format"),
    ("2024-1-5", "not a recognised date format"),
    ("2024-01-05 00:00:00", "not a recognised date format"),
    ("0026-01-05", "the year 26 is not plausible"),
])
def test_bad_dates(text, reason):
    error = only_error(parse_staff_csv(make_csv(row(), row(email="bo@example.org", hire_date=text))))
    assert (error.line, error.column) == (3, "hire_date")
    assert error.message.startswith(f"bad date {text!r}: {reason}; use YYYY-MM-DD")


def test_manager_email_validated_and_not_self():
    parsed = parse_staff_csv(make_csv(row(manager="boss"), row(email="bo@example.org", manager="BO@example.org")))
    assert where(parsed.errors) == [(2, "manager_email"), (3, "manager_email")]
    assert "not a valid email address" in parsed.errors[0].message
    assert "their own manager" in parsed.errors[1].message


@pytest.mark.parametrize("column", ["name", "department", "email", "manager", "role", "hire_date", "status"])
@pytest.mark.parametrize("value", ["=1+1", "+15551234", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1",
                                   "  =cmd|' /C calc'!A0"])
def test_formula_cells_are_refused(column, value):
    data = make_csv(row(), row(**{"email": "bo@example.org", column: value}))
    error = only_error(parse_staff_csv(data))
    assert error.line == 3
    assert error.column == {"name": "full_name", "manager": "manager_email"}.get(column, column)
    assert "looks like a spreadsheet formula; remove the leading" in error.message


def test_control_characters_are_refused():
    error = only_error(parse_staff_csv(make_csv(row(department="Nurs\x1bing"))))
    assert (error.line, error.column) == (2, "department") and "U+001B" in error.message


def test_every_problem_in_a_row_is_reported():
    parsed = parse_staff_csv(make_csv(row(email="x", name="", role="chief", hire_date="soon", status="gone")))
    assert where(parsed.errors) == [(2, "email"), (2, "full_name"), (2, "role"), (2, "status"), (2, "hire_date")]
    assert parsed.rows == ()


def test_rows_with_errors_are_remembered_by_email():
    parsed = parse_staff_csv(make_csv(row(), row(email="bo@example.org", role="x")))
    assert parsed.rejected == {"bo@example.org": 3}
    assert [(r.line, r.email, r.status) for r in parsed.rejected_rows] == [(3, "bo@example.org", "active")]


# --- properties -------------------------------------------------------------------------------------

@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow])
@given(staff_lists(), st.booleans(), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_valid_rows_round_trip_through_csv(people, us_dates, newline, bom):
    text = write_csv(people, us_dates, newline)
    parsed = parse_staff_csv((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    assert parsed.errors == ()
    assert parsed.rows == expected_rows(people)

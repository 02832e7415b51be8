"""Read and check an HR system's staff export (CSV) as a pure function.

`parse_staff_csv(data)` takes the raw bytes of an upload and returns every
well-formed row plus every problem found, each problem with the physical line
number (the header is line 1) and the column it concerns. It never touches the
database and never stops at the first problem, so a dry run can show them all.

Choices made here:

- Encoding is UTF-8 only (with or without a byte-order mark). UTF-16/UTF-32
  files and invalid UTF-8 bytes are refused; nothing is ever guessed as Latin-1.
- All text is Unicode NFC-normalised; names and departments have runs of
  whitespace (including line breaks inside quoted cells) collapsed to one space.
- Lines that are empty, or hold only commas and spaces, are skipped.
- A cell starting with ``= + - @``, a tab or a carriage return is refused in
  every column, because a spreadsheet would run it as a formula.
- Other control characters (for example NUL or ESC) are refused in every cell.
- A row with any problem is left out of `ParsedFile.rows`; its email (when that
  email is valid and not a duplicate) is kept in `ParsedFile.rejected` so that
  later checks can say "fix that line first" instead of "unknown manager", and
  what could be read of it is in `ParsedFile.rejected_rows`, so that its manager
  is checked in the same round as its other problems.
- Optional columns (department, manager_email, hire_date, platforms) that are absent from
  the header are recorded in `ParsedFile.columns`, so that the plan leaves those
  fields untouched. A blank cell in a present optional column does the same for
  its row: the column is in `StaffRow.kept` and an existing person keeps the
  stored value (a new person gets none). To empty a field, the cell says
  ``(clear)`` (`CLEAR`, any case); in a required column that is an error.
- The platforms cell names the platforms a person posts on, separated by ``;``
  or ``,`` (platform_names.py); the caller passes the certifications in force
  as `PlatformNames`. A name PostReady does not know, or a certification
  required of everyone, is an error on that cell.
- A missing header column or a duplicated one is reported against the header's
  line, and the rows are still checked, column by column, for what the header
  does name (they are not planned); problems with no line at all (size,
  encoding, empty file) have line None.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from app.staff import csv_cells, csv_text
from app.staff.csv_cells import CellError, show
from app.staff.csv_rows import (
    ALL_COLUMNS,
    CLEAR,
    MAX_BYTES,
    MAX_DEPARTMENT_LENGTH,
    MAX_NAME_LENGTH,
    MAX_ROWS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    ROLES,
    STATUSES,
    ParsedFile,
    Platforms,
    RejectedRow,
    RowError,
    StaffRow,
)
from app.staff.platform_names import PlatformNames, read_platforms

# Importable from here, as before the rows and the text reading had modules of their own.
__all__ = ["ALL_COLUMNS", "CLEAR", "MAX_BYTES", "MAX_DEPARTMENT_LENGTH", "MAX_NAME_LENGTH", "MAX_ROWS",
           "OPTIONAL_COLUMNS", "REQUIRED_COLUMNS", "ROLES", "STATUSES", "ParsedFile", "PlatformNames", "Platforms",
           "RejectedRow", "RowError", "StaffRow", "parse_staff_csv"]

# Header names are compared after lower-casing and dropping everything but
# letters and digits, so "E-mail", "email_address" and "Email Address" all match.
_ALIASES = {
    "email": "email",
    "emailaddress": "email",
    "workemail": "email",
    "fullname": "full_name",
    "name": "full_name",
    "employeename": "full_name",
    "department": "department",
    "dept": "department",
    "departmentname": "department",
    "manageremail": "manager_email",
    "manager": "manager_email",
    "manageremailaddress": "manager_email",
    "supervisoremail": "manager_email",
    "role": "role",
    "status": "status",
    "employmentstatus": "status",
    "hiredate": "hire_date",
    "startdate": "hire_date",
    "dateofhire": "hire_date",
    "platforms": "platforms",
    "platform": "platforms",
    "socialmedia": "platforms",
    "socialmediaplatforms": "platforms",
}


def _file_error(message: str, line: int | None = None) -> ParsedFile:
    return ParsedFile(rows=(), errors=(RowError(line, None, message),), columns=(), ignored_columns=())


# --- header ------------------------------------------------------------------------

def _header_key(cell: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", cell.replace("\ufeff", "").strip().lower())


def _read_header(line: int, header: list[str]) -> tuple[dict[str, int], list[str], list[RowError]]:
    """Map canonical column name -> index; also the ignored header cells and any errors."""
    positions: dict[str, int] = {}
    ignored: list[str] = []
    errors: list[RowError] = []
    for index, cell in enumerate(header):
        name = _ALIASES.get(_header_key(cell))
        if name is None:
            if cell.strip():
                ignored.append(cell.strip())
            continue
        if name in positions:
            first = positions[name]
            errors.append(RowError(line, None, (
                f"columns {first + 1} ({show(header[first].strip())}) and {index + 1} ({show(cell.strip())}) "
                f"both mean {name}; delete one of them"
            )))
            continue
        positions[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        found = ", ".join(show(cell.strip()) for cell in header if cell.strip()) or "nothing"
        hint = ""
        if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
            separator = "semicolons" if ";" in header[0] else "tabs"
            hint = f" The values seem to be separated by {separator}; save the file as CSV with commas."
        errors.append(RowError(line, None, (
            f"the header row is missing the required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}. Found: {found}. Add the missing column{'s' if len(missing) > 1 else ''} "
            f"to the first row (required: {', '.join(REQUIRED_COLUMNS)}; "
            f"optional: {', '.join(OPTIONAL_COLUMNS)}).{hint}"
        )))
    return positions, ignored, errors


# --- cells ---------------------------------------------------------------------------

# What an optional column's value is when its cell is blank (kept), says CLEAR, or the column is absent.
_NONE = {"department": "", "manager_email": None, "hire_date": None, "platforms": Platforms()}


def _read_cells(line: int, cells: Mapping[str, str], cache: dict[str, tuple[str, str]], platforms: PlatformNames
                ) -> tuple[dict, frozenset[str], list[RowError]]:
    """The checked values of one row's cells (columns absent from `cells` are not checked), the
    optional columns it leaves blank, and its problems: every one, not only the first."""
    values: dict[str, object] = dict(_NONE)
    kept: set[str] = set()
    errors: list[RowError] = []

    def check(column: str, parse, *args) -> None:
        if column not in cells:
            return
        raw = cells[column]
        if column in _NONE and csv_cells.is_blank(raw):
            kept.add(column)
        elif column in _NONE and csv_cells.is_clear(raw):
            pass  # emptied: the value stays none
        elif csv_cells.is_clear(raw):
            errors.append(RowError(line, column, (
                f"{column} is required, so it cannot be cleared; {CLEAR} only empties the optional "
                "columns department, manager_email, hire_date and platforms"
            )))
        else:
            try:
                values[column] = parse(raw, *args)
            except CellError as exc:
                errors.append(RowError(line, column, str(exc)))

    check("email", csv_cells.email, "email", cache)
    check("full_name", csv_cells.name, "full_name")
    check("department", csv_cells.text, "department", MAX_DEPARTMENT_LENGTH, False)
    check("manager_email", csv_cells.email, "manager_email", cache)
    check("role", csv_cells.choice, "role", ROLES)
    check("status", csv_cells.choice, "status", STATUSES, " (use terminated for people who have left)")
    check("hire_date", csv_cells.hire_date)
    check("platforms", read_platforms, platforms)
    if values.get("email") is not None and values["email"] == values["manager_email"]:
        errors.append(RowError(line, "manager_email", (
            "the person is named as their own manager; leave manager_email blank to keep the current one, "
            f"write {CLEAR} for none, or enter the email of the person they report to"
        )))
    return values, frozenset(kept), errors


# --- the whole file --------------------------------------------------------------------

def parse_staff_csv(data: bytes, platforms: PlatformNames = PlatformNames()) -> ParsedFile:
    """Parse and check a staff export; `platforms` are the platform names its platforms column may use
    (see the module docstring for the rules)."""
    if len(data) > MAX_BYTES:
        return _file_error(f"the file is {len(data):,} bytes, over the {MAX_BYTES // (1024 * 1024)} MB limit "
                           f"({MAX_BYTES:,} bytes); split it into smaller files and import each one")
    text, error = csv_text.decode(data)
    if error is not None:
        return ParsedFile(rows=(), errors=(error,), columns=())
    records, syntax_errors = csv_text.records(text)
    if not records:
        if syntax_errors:
            return ParsedFile(rows=(), errors=tuple(syntax_errors), columns=())
        return _file_error("the file is empty; export the staff list with a header row "
                           f"({', '.join(REQUIRED_COLUMNS)}) and one row per person")
    (header_line, header), data_records = records[0], records[1:]
    if syntax_errors and syntax_errors[0].line < header_line:
        return ParsedFile(rows=(), errors=tuple(syntax_errors), columns=())  # the header itself is broken
    if len(data_records) > MAX_ROWS:
        return _file_error(f"the file has {len(data_records):,} staff rows, over the limit of {MAX_ROWS:,}; "
                           "split it into smaller files and import each one")
    positions, ignored, header_errors = _read_header(header_line, header)

    columns = tuple(name for name in ALL_COLUMNS if name in positions)
    errors = list(header_errors) + list(syntax_errors)
    rows: list[StaffRow] = []
    rejected_rows: list[RejectedRow] = []
    seen: dict[str, tuple[int, str]] = {}  # email -> (line, email as written)
    rejected: dict[str, int] = {}
    cache: dict[str, tuple[str, str]] = {}

    for line, record in data_records:
        if len(record) != len(header):
            errors.append(RowError(line, None, (
                f"this row has {len(record)} values but the header has {len(header)} columns; "
                "put values that contain commas inside double quotes, and remove stray commas"
            )))
            continue
        cells = {name: record[index] for name, index in positions.items()}
        values, kept, row_errors = _read_cells(line, cells, cache, platforms)
        email = values.get("email")
        if email is not None:
            written = cells["email"].strip()
            if email in seen:
                first_line, first_written = seen[email]
                note = " (emails differ only in case)" if written != first_written else ""
                row_errors.append(RowError(line, "email", (
                    f"duplicate of line {first_line}{note}: {email} appears more than once; "
                    "keep one row per person and delete the other"
                )))
            else:
                seen[email] = (line, written)
                if row_errors:
                    rejected[email] = line
        if row_errors:
            errors.extend(row_errors)
            rejected_rows.append(RejectedRow(line, email, values["manager_email"], values.get("status")))
        elif not header_errors:
            rows.append(StaffRow(line=line, kept=kept, **values))

    errors.sort(key=lambda e: (e.line is not None, e.line or 0))
    if header_errors:  # the rows were checked, but without a sound header none is planned
        return ParsedFile(rows=(), errors=tuple(errors), columns=(), ignored_columns=tuple(ignored))
    return ParsedFile(
        rows=tuple(rows),
        errors=tuple(errors),
        columns=columns,
        ignored_columns=tuple(ignored),
        rejected=MappingProxyType(rejected),
        rejected_rows=tuple(rejected_rows),
    )

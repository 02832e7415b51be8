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
  later checks can say "fix that line first" instead of "unknown manager".
- Optional columns that are absent from the header are recorded in
  `ParsedFile.columns`, so that the plan leaves those fields untouched; a blank
  cell in a present column means "none" (and clears the value).
- A missing header column or a duplicated one is reported against the header's
  line; problems with no line at all (size, encoding, empty file) have line None.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

from app.staff import csv_cells
from app.staff.csv_cells import CellError, show

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000

MAX_NAME_LENGTH = 300        # users.full_name is String(300)
MAX_DEPARTMENT_LENGTH = 200  # departments.name is String(200)

ROLES = ("employee", "manager", "admin")
STATUSES = ("active", "terminated")

REQUIRED_COLUMNS = ("email", "full_name", "role", "status")
OPTIONAL_COLUMNS = ("department", "manager_email", "hire_date")
ALL_COLUMNS = ("email", "full_name", "department", "manager_email", "role", "status", "hire_date")

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
}

_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_SAVE_AS_UTF8 = ("save the file as CSV UTF-8 (in Excel: File > Save As > 'CSV UTF-8 (Comma delimited)') "
                 "and import it again")


@dataclass(frozen=True)
class StaffRow:
    line: int                  # physical line number where the row starts (the header is line 1)
    email: str                 # stripped, lower-case
    full_name: str             # whitespace collapsed
    department: str            # whitespace collapsed, may be ""
    manager_email: str | None  # stripped, lower-case; None if blank
    role: str                  # "employee" | "manager" | "admin"
    hire_date: date | None
    status: str                # "active" | "terminated"


@dataclass(frozen=True)
class RowError:
    line: int | None           # None for problems that belong to no line (size, encoding)
    column: str | None         # canonical column name, e.g. "hire_date"
    message: str               # says what is wrong and how to fix it

    def __str__(self) -> str:
        where = ", ".join(part for part in (
            f"line {self.line}" if self.line is not None else "",
            self.column or "",
        ) if part)
        return f"{where}: {self.message}" if where else self.message


@dataclass(frozen=True)
class ParsedFile:
    rows: tuple[StaffRow, ...]
    errors: tuple[RowError, ...]
    # Canonical names of the columns the header has (optional ones may be absent).
    columns: tuple[str, ...] = ALL_COLUMNS
    # Header cells that matched no known column; they are ignored, not an error.
    ignored_columns: tuple[str, ...] = ()
    # Email -> line of rows left out because of errors (so they are not "unknown").
    rejected: Mapping[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _file_error(message: str, line: int | None = None) -> ParsedFile:
    return ParsedFile(rows=(), errors=(RowError(line, None, message),), columns=(), ignored_columns=())


def _line_of_offset(data: bytes, offset: int) -> int:
    return len(_LINE_BREAK.findall(data, 0, offset)) + 1


# --- bytes to text -------------------------------------------------------------

def _wide_encoding(data: bytes) -> str | None:
    """'UTF-16' or 'UTF-32' when the bytes look like either, else None."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    sample = data[:4096]
    nuls = sample.count(0)
    if sample and nuls / len(sample) >= 0.6:
        return "UTF-32"
    if sample and nuls / len(sample) >= 0.2:
        return "UTF-16"
    return None


def _decode(data: bytes) -> tuple[str | None, RowError | None]:
    wide = _wide_encoding(data)
    if wide:
        return None, RowError(None, None, f"unsupported encoding (looks like {wide}): {_SAVE_AS_UTF8}")
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    try:
        text = data[len(bom):].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = len(bom) + exc.start
        line = _line_of_offset(data, offset)
        return None, RowError(line, None, (
            f"the file is not valid UTF-8: byte 0x{data[offset]:02X} at byte offset {offset} cannot be read "
            f"(files saved as plain 'CSV' from Excel are often in a different encoding); {_SAVE_AS_UTF8}"
        ))
    nul = text.find("\x00")
    if nul >= 0:
        offset = len(bom) + len(text[:nul].encode("utf-8"))
        line = _line_of_offset(data, offset)
        return None, RowError(line, None, (
            f"the file contains a NUL byte at byte offset {offset}, so it is damaged or not a CSV file; "
            "export the staff list again as CSV UTF-8"
        ))
    return text, None


# --- text to records -------------------------------------------------------------

def _records(text: str) -> tuple[list[tuple[int, list[str]]], list[RowError]]:
    """Every CSV record with the physical line it starts on; syntax problems as errors.

    `reader.line_num` is the line a record *ends* on, so a record starts on the
    line after the previous record ended, which stays right across quoted cells
    that contain line breaks.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    errors: list[RowError] = []
    ended = 0
    while True:
        start = ended + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            ended = reader.line_num
            errors.append(RowError(start, None, _csv_error_message(str(exc), start, ended)))
            continue
        ended = reader.line_num
        if any(cell.strip() for cell in record):
            records.append((start, record))
    return records, errors


def _csv_error_message(reason: str, start: int, end: int) -> str:
    if "unexpected end of data" in reason:
        return (f"a quoted value that starts on line {start} is never closed, so the rest of the file "
                "was read as one value; add the missing closing double quote (\")")
    if "expected after" in reason:
        return ('a quoted value is followed by more text before the next comma; put the whole value '
                'inside the double quotes, and write a double quote inside a value as two ("")')
    if "field larger than field limit" in reason:
        return (f"a value is longer than {csv.field_size_limit():,} characters, which no staff field needs; "
                "check for a missing closing double quote (\") or remove the long value")
    return f"the line cannot be read as CSV ({reason}); check the quotes and commas on it"


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

def _read_cells(line: int, cells: Mapping[str, str], cache: dict[str, str | None]) -> tuple[dict, list[RowError]]:
    """The checked values of one row's cells (absent columns read as blank), and its problems."""
    values: dict[str, object] = {}
    errors: list[RowError] = []

    def check(column: str, parse, *args) -> None:
        try:
            values[column] = parse(cells.get(column, ""), *args)
        except CellError as exc:
            errors.append(RowError(line, column, str(exc)))

    check("email", csv_cells.email, "email", cache)
    check("full_name", csv_cells.text, "full_name", MAX_NAME_LENGTH, True)
    check("department", csv_cells.text, "department", MAX_DEPARTMENT_LENGTH, False)
    if cells.get("manager_email", "").strip():
        check("manager_email", csv_cells.email, "manager_email", cache)
    else:
        values["manager_email"] = None
    check("role", csv_cells.choice, "role", ROLES)
    check("status", csv_cells.choice, "status", STATUSES, " (use terminated for people who have left)")
    check("hire_date", csv_cells.hire_date)
    if values.get("email") is not None and values["email"] == values.get("manager_email"):
        errors.append(RowError(line, "manager_email", (
            "the person is named as their own manager; leave manager_email blank "
            "or enter the email of the person they report to"
        )))
    return values, errors


# --- the whole file --------------------------------------------------------------------

def parse_staff_csv(data: bytes) -> ParsedFile:
    """Parse and check a staff export; see the module docstring for the rules."""
    if len(data) > MAX_BYTES:
        return _file_error(f"the file is {len(data):,} bytes, over the {MAX_BYTES // (1024 * 1024)} MB limit "
                           f"({MAX_BYTES:,} bytes); split it into smaller files and import each one")
    text, error = _decode(data)
    if error is not None:
        return ParsedFile(rows=(), errors=(error,), columns=())
    records, syntax_errors = _records(text)
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
    if header_errors:
        return ParsedFile(rows=(), errors=tuple(header_errors), columns=(), ignored_columns=tuple(ignored))

    columns = tuple(name for name in ALL_COLUMNS if name in positions)
    errors = list(syntax_errors)
    rows: list[StaffRow] = []
    seen: dict[str, tuple[int, str]] = {}  # email -> (line, email as written)
    rejected: dict[str, int] = {}
    cache: dict[str, str | None] = {}

    for line, record in data_records:
        if len(record) != len(header):
            errors.append(RowError(line, None, (
                f"this row has {len(record)} values but the header has {len(header)} columns; "
                "put values that contain commas inside double quotes, and remove stray commas"
            )))
            continue
        cells = {name: record[index] for name, index in positions.items()}
        values, row_errors = _read_cells(line, cells, cache)
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
        else:
            rows.append(StaffRow(line=line, **values))

    errors.sort(key=lambda e: (e.line is not None, e.line or 0))
    return ParsedFile(
        rows=tuple(rows),
        errors=tuple(errors),
        columns=columns,
        ignored_columns=tuple(ignored),
        rejected=MappingProxyType(rejected),
    )

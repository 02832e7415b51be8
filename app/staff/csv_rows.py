"""The staff file's rows and problems, and its limits: what `parse_staff_csv` returns (see csv_import.py)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000

MAX_NAME_LENGTH = 300        # users.full_name is String(300)
MAX_DEPARTMENT_LENGTH = 200  # departments.name is String(200)

ROLES = ("employee", "manager", "admin")
STATUSES = ("active", "terminated")

REQUIRED_COLUMNS = ("email", "full_name", "role", "status")
OPTIONAL_COLUMNS = ("department", "manager_email", "hire_date", "platforms")
ALL_COLUMNS = ("email", "full_name", "department", "manager_email", "role", "status", "hire_date", "platforms")

# A blank optional cell keeps what PostReady has; this marker in one empties the field instead.
CLEAR = "(clear)"


class Platforms(tuple[str, ...]):
    """The slugs of the platform certifications a person posts on, sorted so that equal sets compare,
    print and fingerprint the same in every process; shown as HR writes them, "facebook; instagram" ("" for none)."""

    def __new__(cls, slugs=()):
        return super().__new__(cls, sorted(set(slugs)))

    def __str__(self) -> str:
        return "; ".join(self)


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
    # Optional columns whose cell was blank: an existing person keeps the stored value (the field
    # then reads as none: "", None or no platforms). A cell that says CLEAR is not in here: it empties the field.
    kept: frozenset[str] = frozenset()
    platforms: Platforms = Platforms()  # slugs of the platform certifications the person must earn


@dataclass(frozen=True)
class RejectedRow:
    """What could be read of a row left out for its errors, so its manager can still be checked
    in the same round; each field is None when its cell was blank or could not be read."""

    line: int
    email: str | None
    manager_email: str | None
    status: str | None


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
    # Every row left out because of errors, in file order.
    rejected_rows: tuple[RejectedRow, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

"""What importing a parsed staff file would change, as a pure function.

`plan_import(parsed, existing)` compares the file's rows with a snapshot of the
people already in the database and says, for every row, what applying would do.
It reads no database itself; the caller builds the snapshot and, when the plan
is `ok`, applies all of it in one transaction (or none of it).

The rules:

- A new email with status active is created. A new email with status
  terminated is skipped: nobody is created, the action is "unchanged" and
  `PlannedPerson.person_id` is None (see `PlannedPerson.skipped`).
- An existing person whose row is terminated is deactivated if active (and the
  row's other fields are applied too); if already inactive, differing fields
  make it an "update", otherwise "unchanged". People are never deleted.
- An existing inactive person whose row is active is reactivated, with any
  field changes.
- Otherwise differing fields make an "update" and equal ones "unchanged".
  Fields are compared after the same normalisation the parser applies.
- Only the columns the file has are compared: if the header has no
  department, manager_email, hire_date or platforms column, that field is left
  alone. A blank cell in one of those columns leaves that person's field alone too
  (`StaffRow.kept`): the planned row carries the stored value, so it is no
  change. A cell that says ``(clear)`` empties the field. For a new person,
  blank and ``(clear)`` both mean none.
- A person's platforms are the platform certifications the HR file asked of
  them (their live "hr-import" assignments, in the snapshot). A different set
  in the file is a change like any other, listed as the field "platforms";
  applying it assigns the new platforms and withdraws the dropped ones.
- People in the database who are absent from the file are left alone, so a
  file may list one department only. (If a manager the file deactivates still
  has active reports who are not in the file, that is a warning, not an error.)
- Every manager must exist after the import: a row in the file, or a person in
  the database. A person who is active after the import needs a manager who is
  active after it too, so naming a manager the same file terminates is an
  error on the rows that still report to them. Reporting lines may not loop,
  judged on the state after the import (file rows over database values).
- Skipped rows (terminated, never existed) are not checked against managers.
- A kept (blank) manager_email is the file's concern only if the file
  terminates that manager while the person stays active; a manager who was
  already deactivated in PostReady is not this file's doing. Loops are judged
  the same way: only a row that sets its manager is named.
- Rows the parser refused are not planned, but their managers are checked
  (must exist; must be active for an active row), so that every problem of a
  row is found in one round.

A manager may be created by the same file as the people who report to them, so
a service applying the plan should create every new person before it sets
managers. Applying the plan to the snapshot and planning the same file again
gives only "unchanged" actions.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from app.staff import reporting_lines
from app.staff.csv_rows import ParsedFile, Platforms, RowError, StaffRow
from app.staff.reporting_lines import normal_email

CREATE = "create"
UPDATE = "update"
DEACTIVATE = "deactivate"
REACTIVATE = "reactivate"
UNCHANGED = "unchanged"

# Fields compared between a row and a person, in the order changes are listed.
COMPARED_FIELDS = ("full_name", "department", "manager_email", "role", "hire_date", "platforms")


@dataclass(frozen=True)
class ExistingPerson:
    """A snapshot of one person in the database, supplied by the caller."""

    id: int
    email: str
    full_name: str
    department: str            # "" if none
    manager_email: str | None
    role: str
    hire_date: date | None
    active: bool
    platforms: Platforms = Platforms()  # what the HR file asked of them: live "hr-import" assignments


@dataclass(frozen=True)
class Change:
    field: str
    old: object
    new: object


@dataclass(frozen=True)
class PlannedPerson:
    line: int
    email: str
    action: str                # "create" | "update" | "deactivate" | "reactivate" | "unchanged"
    row: StaffRow
    changes: tuple[Change, ...] = ()
    person_id: int | None = None   # the existing person's id; None for creates and skipped rows

    @property
    def skipped(self) -> bool:
        """A terminated row for someone who was never in the database: nothing happens."""
        return self.action == UNCHANGED and self.person_id is None


@dataclass(frozen=True)
class ImportPlan:
    """One entry per accepted row, in file order (rows with plan errors included, as if fixed).

    Rows the parser refused are not in `people`; their problems are in `errors`.
    """

    people: tuple[PlannedPerson, ...]
    errors: tuple[RowError, ...]          # parse and plan errors, sorted by line; any error blocks applying
    warnings: tuple[RowError, ...] = ()   # worth showing, but do not block applying

    def _with(self, action: str) -> tuple[PlannedPerson, ...]:
        return tuple(p for p in self.people if p.action == action)

    @property
    def creates(self) -> tuple[PlannedPerson, ...]:
        return self._with(CREATE)

    @property
    def updates(self) -> tuple[PlannedPerson, ...]:
        return self._with(UPDATE)

    @property
    def deactivations(self) -> tuple[PlannedPerson, ...]:
        return self._with(DEACTIVATE)

    @property
    def reactivations(self) -> tuple[PlannedPerson, ...]:
        return self._with(REACTIVATE)

    @property
    def unchanged(self) -> tuple[PlannedPerson, ...]:
        return self._with(UNCHANGED)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changes_anything(self) -> bool:
        return any(p.action != UNCHANGED for p in self.people)


def _collapse(text: str | None) -> str:
    return " ".join((text or "").split())


def _current(person: ExistingPerson) -> dict[str, object]:
    return {
        "full_name": _collapse(person.full_name),
        "department": _collapse(person.department),
        "manager_email": normal_email(person.manager_email),
        "role": person.role.strip().lower(),
        "hire_date": person.hire_date,
        "platforms": Platforms(person.platforms),
    }


def _resolved(row: StaffRow, person: ExistingPerson | None) -> StaffRow:
    """The row with each kept (blank) field set to what the person has now, so it changes nothing."""
    if person is None or not row.kept:
        return row
    current = _current(person)
    return replace(row, **{name: current[name] for name in row.kept})


def _changes(person: ExistingPerson, row: StaffRow, columns: frozenset[str]) -> tuple[Change, ...]:
    old = _current(person)
    return tuple(
        Change(name, old[name], getattr(row, name))
        for name in COMPARED_FIELDS
        if name in columns and old[name] != getattr(row, name)
    )


def _action(person: ExistingPerson | None, row: StaffRow, changes: tuple[Change, ...]) -> str:
    active = row.status == "active"
    if person is None:
        return CREATE if active else UNCHANGED
    if active and not person.active:
        return REACTIVATE
    if not active and person.active:
        return DEACTIVATE
    return UPDATE if changes else UNCHANGED


def plan_import(parsed: ParsedFile, existing: Sequence[ExistingPerson]) -> ImportPlan:
    """Plan the import of `parsed` over the database snapshot `existing`; see the module docstring."""
    database = {normal_email(p.email): p for p in existing}
    in_file: dict[str, StaffRow] = {}  # email -> the row as planned (kept fields filled in)
    columns = frozenset(parsed.columns)

    people = []
    for row in parsed.rows:
        person = database.get(row.email)
        row = _resolved(row, person)
        in_file[row.email] = row
        changes = _changes(person, row, columns) if person is not None else ()
        action = _action(person, row, changes)
        people.append(PlannedPerson(
            line=row.line,
            email=row.email,
            action=action,
            row=row,
            changes=changes if action != UNCHANGED else (),
            person_id=person.id if person is not None else None,
        ))

    errors = list(parsed.errors)
    warnings: list[RowError] = []
    if "manager_email" in columns:
        errors += reporting_lines.manager_errors(people, in_file, database, parsed.rejected)
        errors += reporting_lines.rejected_row_errors(parsed.rejected_rows, in_file, database, parsed.rejected)
        errors += reporting_lines.loop_errors(people, in_file, database)
    deactivated = [p for p in people if p.action == DEACTIVATE]
    warnings += reporting_lines.orphan_warnings(deactivated, in_file, database)
    errors.sort(key=lambda e: (e.line is not None, e.line or 0))
    return ImportPlan(people=tuple(people), errors=tuple(errors), warnings=tuple(warnings))


def fingerprint(plan: ImportPlan) -> str:
    """A digest of everything a dry run shows (each row's action and changes, the problems and the
    warnings): equal digests mean applying now would do what the dry run said."""
    shown = {
        "people": [[p.line, p.email, p.action, [[c.field, str(c.old), str(c.new)] for c in p.changes]]
                   for p in plan.people],
        "errors": [str(e) for e in plan.errors],
        "warnings": [str(w) for w in plan.warnings],
    }
    return hashlib.sha256(json.dumps(shown, ensure_ascii=False).encode("utf-8")).hexdigest()

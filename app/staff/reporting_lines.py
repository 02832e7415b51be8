"""Reporting lines after an import, judged on the file's rows over the database's values.

Every manager must exist, and be active for a person who stays active; lines may not
loop; a manager the file deactivates may leave active reports behind (a warning).
The import plan (plan.py) calls these; see its docstring for the rules.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from app.staff.csv_rows import CLEAR, RowError, StaffRow

if TYPE_CHECKING:
    from app.staff.plan import ExistingPerson


def normal_email(email: str | None) -> str | None:
    email = (email or "").strip().lower()
    return email or None


def _exists_after(email: str, in_file: Mapping[str, StaffRow], database: Mapping[str, ExistingPerson]) -> bool:
    return email in database or (email in in_file and in_file[email].status == "active")


def _active_after(email: str, in_file: Mapping[str, StaffRow], database: Mapping[str, ExistingPerson]) -> bool:
    if email in in_file:
        return in_file[email].status == "active"
    return email in database and database[email].active


def manager_errors(people, in_file, database, rejected) -> list[RowError]:
    errors = []
    for planned in people:
        row = planned.row
        if row.manager_email is None or planned.skipped:
            continue
        if "manager_email" in row.kept:
            errors += _kept_manager_error(row, in_file)
        else:
            errors += _named_manager_error(row.line, row.manager_email, row.status, in_file, database, rejected)
    return errors


def rejected_row_errors(rejected_rows, in_file, database, rejected) -> list[RowError]:
    """The managers named by rows refused for other problems, so that no problem waits for a second round."""
    errors = []
    for row in rejected_rows:
        if row.manager_email is None or row.manager_email == row.email:
            continue
        if row.status == "terminated" and (row.email is None or row.email not in database):
            continue  # a leaver who was never here (or cannot be told): nothing would happen to them
        errors += _named_manager_error(row.line, row.manager_email, row.status, in_file, database, rejected)
    return errors


def _named_manager_error(line, manager, status, in_file, database, rejected) -> list[RowError]:
    """The problem with a manager the row names, if any. `status` may be None (unreadable):
    then only whether the manager exists is checked."""
    missing = not _exists_after(manager, in_file, database)
    inactive = status == "active" and not _active_after(manager, in_file, database)
    if not (missing or inactive):
        return []
    if manager not in in_file and manager in rejected:
        message = f"manager {manager} is on line {rejected[manager]}, which has errors; fix that line first"
    elif missing and manager in in_file:
        message = (f"manager {manager} is terminated on line {in_file[manager].line} and is not in PostReady, "
                   "so they cannot be anyone's manager; name a different manager, or write "
                   f"{CLEAR} for none")
    elif missing:
        message = f"unknown manager {manager}: add them to the file or create them first"
    elif manager in in_file:
        message = (f"manager {manager} is terminated on line {in_file[manager].line}, but this person stays "
                   "active and still reports to them; give this person a new manager in the file")
    else:
        message = (f"manager {manager} is deactivated in PostReady; name an active manager, "
                   "or add them to the file with status active to reactivate them")
    return [RowError(line, "manager_email", message)]


def _kept_manager_error(row: StaffRow, in_file) -> list[RowError]:
    """A blank manager_email keeps the stored manager: a problem only if this file terminates them."""
    manager = row.manager_email
    if row.status != "active" or manager not in in_file or in_file[manager].status == "active":
        return []
    return [RowError(row.line, "manager_email", (
        f"manager_email is blank, which keeps this person's manager {manager}, but line "
        f"{in_file[manager].line} terminates {manager} and this person stays active; enter their new "
        f"manager's email, or {CLEAR} to leave them without one"
    ))]


def _manager_after(people, database) -> dict[str, tuple[str | None, bool]]:
    """Everyone who exists after the import -> (their manager, whether the file set it: a kept blank
    manager_email did not)."""
    result = {email: (normal_email(p.manager_email), False) for email, p in database.items()}
    for planned in people:
        if not planned.skipped:
            result[planned.email] = (planned.row.manager_email, "manager_email" not in planned.row.kept)
    return result


def loop_errors(people, in_file, database) -> list[RowError]:
    manager_of = _manager_after(people, database)
    done: set[str] = set()
    errors = []
    for start in manager_of:
        path: list[str] = []
        on_path: dict[str, int] = {}
        email = start
        while email is not None and email in manager_of and email not in done and email not in on_path:
            on_path[email] = len(path)
            path.append(email)
            email = manager_of[email][0]
        if email is not None and email in on_path:
            loop = path[on_path[email]:]
            for at, member in enumerate(loop):
                if not manager_of[member][1]:
                    continue  # a loop only in the database is not this file's doing
                errors.append(RowError(in_file[member].line, "manager_email", (
                    f"the reporting line loops: {_describe_loop(loop, at)} (each reports to the next); "
                    "change the manager of one of these people so the chain ends"
                )))
        done.update(path)
    return errors


def _describe_loop(loop: list[str], start: int) -> str:
    """'a → b → c → a', starting at loop[start]; long loops are shortened in the middle."""
    size = len(loop)
    if size <= 7:
        names = [loop[(start + k) % size] for k in range(size)] + [loop[start]]
    else:
        names = [loop[(start + k) % size] for k in range(5)]
        names += [f"… {size - 6} more …", loop[(start - 1) % size], loop[start]]
    return " → ".join(names)


def orphan_warnings(deactivated, in_file, database) -> list[RowError]:
    """A warning for each person the file deactivates who still has active reports the file leaves out."""
    reports: dict[str, list[str]] = {}  # manager -> their active reports who are not in the file
    for email, person in database.items():
        if email not in in_file and person.active and person.manager_email:
            reports.setdefault(normal_email(person.manager_email), []).append(email)
    warnings = []
    for planned in deactivated:
        left_behind = sorted(reports.get(planned.email, ()))
        if left_behind:
            shown = ", ".join(left_behind[:5]) + (f" and {len(left_behind) - 5} more" if len(left_behind) > 5 else "")
            warnings.append(RowError(planned.line, "status", (
                f"{planned.email} will be deactivated, but {len(left_behind)} active "
                f"{'person' if len(left_behind) == 1 else 'people'} not in this file still report to them "
                f"({shown}); give them a new manager afterwards, or add them to the file"
            )))
    return warnings


"""Shared by the staff CSV tests: rows and files as HR exports them, people already on file,
what applying a plan does, and Hypothesis strategies for whole staff lists."""
import csv
import io
import unicodedata
from dataclasses import replace
from datetime import date
from pathlib import Path

from hypothesis import strategies as st

from app.staff.csv_import import StaffRow, parse_staff_csv
from app.staff.plan import ExistingPerson, ImportPlan, plan_import

FIXTURES = Path(__file__).parent / "fixtures" / "staff"
HEADER = "email,full_name,department,manager_email,role,hire_date,status"


def row(email="ann@example.org", name="Ann Lee", department="Nursing", manager="", role="employee",
        hire_date="2024-01-15", status="active"):
    """One CSV line in HEADER's column order, quoted as a spreadsheet would."""
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerow([email, name, department, manager, role, hire_date, status])
    return out.getvalue().removesuffix("\r\n")


def make_csv(*lines, header=HEADER, newline="\n"):
    return (newline.join((header, *lines)) + newline).encode("utf-8")


def only_error(parsed_or_plan):
    assert len(parsed_or_plan.errors) == 1, [str(e) for e in parsed_or_plan.errors]
    return parsed_or_plan.errors[0]


def where(errors):
    return [(e.line, e.column) for e in errors]


def person(id, email, name="Ann Lee", department="Nursing", manager=None, role="employee",
           hire_date=date(2024, 1, 15), active=True):
    return ExistingPerson(id, email, name, department, manager, role, hire_date, active)


def apply_to_snapshot(plan: ImportPlan, existing):
    """The database state applying `plan` produces, as the service is expected to produce it."""
    by_email = {p.email: p for p in existing}
    next_id = max((p.id for p in existing), default=0) + 1
    for planned in plan.people:
        r = planned.row
        if planned.action == "create":
            by_email[r.email] = ExistingPerson(next_id, r.email, r.full_name, r.department, r.manager_email,
                                               r.role, r.hire_date, True, r.platforms)
            next_id += 1
        elif planned.action in ("update", "deactivate", "reactivate"):
            current = by_email[r.email]
            fields = {c.field: c.new for c in planned.changes}
            by_email[r.email] = replace(current, **fields, active=r.status == "active")
    return list(by_email.values())


def plan_csv(*lines, existing=(), header=HEADER):
    return plan_import(parse_staff_csv(make_csv(*lines, header=header)), list(existing))


# --- whole staff lists, for the property tests ------------------------------------------------------

NAME_START = st.characters(categories=("Lu", "Ll", "Lo"))
NAME_REST = st.text(st.characters(categories=("Lu", "Ll", "Lo", "Nd", "Zs"), include_characters=",'\"\n-.()"),
                    max_size=40)


@st.composite
def names(draw):
    return draw(NAME_START) + draw(NAME_REST)


@st.composite
def staff_lists(draw):
    count = draw(st.integers(1, 12))
    locals_ = draw(st.lists(st.from_regex(r"[a-z][a-z0-9._+-]{0,15}[a-z0-9]", fullmatch=True)
                            .filter(lambda s: ".." not in s), min_size=count, max_size=count, unique=True))
    people = []
    for i, local in enumerate(locals_):
        earlier_active = [p for p in people if p["status"] == "active"]
        manager = draw(st.none() | st.sampled_from(earlier_active)) if earlier_active else None
        people.append({
            "email": draw(st.sampled_from([str.lower, str.upper, str.title]))(f"{local}@example.org"),
            "full_name": draw(names()),
            "department": draw(st.sampled_from(["", "Nursing", "Pharmacy, Main Campus", 'The "Lab"'])),
            "manager_email": manager["email"] if manager else "",
            "role": draw(st.sampled_from(["employee", "manager", "admin", "Manager"])),
            "hire_date": draw(st.none() | st.dates(date(1900, 1, 1), date(2100, 12, 31))),
            "status": draw(st.sampled_from(["active", "terminated", "Active"])) if i else "active",
        })
    return people


def write_csv(people, us_dates, newline):
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(["email", "full_name", "department", "manager_email", "role", "hire_date", "status"])
    for p in people:
        when = p["hire_date"]
        text = "" if when is None else (f"{when.month}/{when.day}/{when.year}" if us_dates else when.isoformat())
        writer.writerow([p["email"], p["full_name"], p["department"], p["manager_email"], p["role"], text, p["status"]])
    return out.getvalue()


def expected_rows(people):
    """What parsing should give: normalised values, and each row's first physical line."""
    rows, line = [], 2
    for p in people:
        rows.append(StaffRow(
            line=line,
            email=p["email"].lower(),
            full_name=" ".join(unicodedata.normalize("NFC", p["full_name"]).split()),
            department=p["department"],
            manager_email=p["manager_email"].lower() or None,
            role=p["role"].lower(),
            hire_date=p["hire_date"],
            status=p["status"].lower(),
            kept=frozenset(column for column in ("department", "manager_email") if not p[column])
            | ({"hire_date"} if p["hire_date"] is None else set()),
        ))
        line += 1 + p["full_name"].count("\n")
    return tuple(rows)

"""Importing staff in the browser at phone and laptop widths: a file with problems shows them all at
once; the fixed file is uploaded once, its dry run offers "Apply these changes", and applying it needs
the confirmation. Every step fits the screen and passes axe-core."""
import csv
import io

import pytest

from tests.e2e.conftest import ADMIN, DESKTOP, PHONE
from tests.e2e.helpers import assert_accessible, assert_no_horizontal_overflow
from tests.tools import need_module

expect = need_module("playwright.sync_api", "playwright").expect

pytestmark = pytest.mark.e2e

HEADER = ["email", "full_name", "department", "manager_email", "role", "hire_date", "status"]


def staff_file(folder, name: str, rows: list[list[str]]):
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    path = folder / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def fits_and_is_accessible(page, where: str) -> None:
    assert_no_horizontal_overflow(page, where)
    assert_accessible(page, where)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1366"])
def test_upload_once_check_then_apply(site, new_page, viewport, tmp_path, tmp_path_factory):
    from tests.e2e.conftest import log_in

    site.app.config["STAFF_UPLOADS_DIR"] = str(tmp_path / "kept")  # not the checkout's instance folder
    shots = tmp_path_factory.getbasetemp() / "staff-upload-screenshots"
    shots.mkdir(exist_ok=True)
    width = viewport["width"]
    lead, nurse = f"lead.{width}@example.org", f"nurse.{width}@example.org"
    page = new_page(viewport)
    log_in(page, site, ADMIN)
    page.goto("/people/import")
    result = page.locator("#import-result")

    # A file with several problems on several rows: every one is listed, with its line and column.
    broken = staff_file(tmp_path, "broken.csv", [
        [lead, "", "Emergency", "", "chief", "2026-02-30", "active"],
        [nurse, "Nia Nurse", "Emergency", "ghost@example.org", "employee", "1/5/26", "active"],
    ])
    page.get_by_label("HR export (CSV, UTF-8)").set_input_files(broken)
    page.get_by_role("button", name="Check the file").click()
    expect(result.get_by_role("heading", level=2)).to_have_text("Problems found: nothing was changed")
    problems = result.locator("ul.problems > li")
    expect(problems).to_have_count(5)
    expect(result.locator("dt:text-is('Problems') + dd")).to_have_text("5")
    expect(problems.nth(0)).to_contain_text("Line 2, full_name: full_name is blank")
    expect(problems.nth(4)).to_contain_text("Line 3, manager_email: unknown manager ghost@example.org")
    expect(result.get_by_role("button", name="Apply these changes")).to_have_count(0)
    fits_and_is_accessible(page, f"import problems at {width}px")
    page.screenshot(path=shots / f"import-problems-{width}.png", full_page=True)

    # The fixed file: one upload, a dry run, and the same file applied after the confirmation.
    fixed = staff_file(tmp_path, "fixed.csv", [
        [lead, "Lea Lead", "Emergency", "", "manager", "2026-02-28", "active"],
        [nurse, "Nia Nurse", "Emergency", lead, "employee", "(clear)", "active"],
    ])
    page.get_by_label("HR export (CSV, UTF-8)").set_input_files(fixed)
    page.get_by_role("button", name="Check the file").click()
    expect(result.get_by_role("heading", level=2)).to_have_text("Dry run: nothing has changed yet")
    expect(result.locator("dt:text-is('New') + dd")).to_have_text("2")
    expect(result.get_by_role("heading", name="To create (2)")).to_be_visible()
    fits_and_is_accessible(page, f"import dry run at {width}px")
    page.screenshot(path=shots / f"import-dry-run-{width}.png", full_page=True)

    page.get_by_label("I have checked these changes: 2 new, 0 changed, 0 deactivated.").check()
    page.get_by_role("button", name="Apply these changes").click()
    expect(result.get_by_role("heading", level=2)).to_have_text("Import applied")
    expect(result.get_by_role("heading", name="Created (2)")).to_be_visible()
    expect(result.get_by_role("button", name="Apply these changes")).to_have_count(0)
    fits_and_is_accessible(page, f"import applied at {width}px")
    page.screenshot(path=shots / f"import-applied-{width}.png", full_page=True)
    assert not any((tmp_path / "kept").iterdir())  # applied: the file is no longer kept

    page.goto(f"/people?q={nurse}")
    expect(page.get_by_role("link", name="Nia Nurse")).to_be_visible()

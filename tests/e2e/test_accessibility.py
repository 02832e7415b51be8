"""axe-core on every page type: no serious or critical violation, with the page's CSP in force.

Pages are scanned at 1366×768 here; test_responsive.py scans the main pages again at 390×844,
and the journeys scan the states they reach (an import's dry run, a suspension, a revocation).
"""
import pytest

from tests.e2e.conftest import ADMIN, SCAN_EMPLOYEE, SHOWCASE
from tests.e2e.helpers import PAGE_TYPES, assert_accessible
from tests.tools import need_module

expect = need_module("playwright.sync_api", "playwright").expect

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("page_type", PAGE_TYPES, ids=[p.name for p in PAGE_TYPES])
def test_page_has_no_serious_accessibility_violations(page_type, site, signed_in):
    page = signed_in(page_type.user)
    page.csp_violations.clear()
    response = page.goto(page_type.path(site))
    assert response.status == (404 if page_type.name == "not-found" else 200), page.url
    if page_type.heading:
        assert page_type.heading in page.locator("h1").first.inner_text()
    assert_accessible(page, page_type.name)
    assert page.csp_violations == [], f"{page_type.name}: the CSP blocked something: {page.csp_violations}"


def test_error_messages_and_other_states_are_accessible(site, signed_in):
    """Pages as they look after a mistake or an action: flash messages, field errors, a one-time secret, 403."""
    visitor = signed_in(None)
    visitor.goto("/login")
    visitor.get_by_label("Email").fill(SCAN_EMPLOYEE)
    visitor.get_by_label("Password").fill("not the password")
    visitor.get_by_role("button", name="Sign in").click()
    expect(visitor.locator(".flash-error")).to_contain_text("do not match")
    assert_accessible(visitor, "login after a failed sign-in")

    employee = signed_in(SCAN_EMPLOYEE)
    employee.goto("/account/password")
    employee.get_by_label("Current password").fill(site.password)
    employee.get_by_label("New password", exact=True).fill("short")
    employee.get_by_label("Repeat the new password").fill("different")
    employee.get_by_role("button", name="Change password").click()
    expect(employee.locator(".field.has-error").first).to_be_visible()
    expect(employee.locator("[aria-invalid=true]").first).to_be_visible()
    assert_accessible(employee, "change password with field errors")
    response = employee.goto("/organization")
    assert response.status == 403
    assert_accessible(employee, "403 page")

    admin = signed_in(ADMIN)
    admin.goto("/people/new")
    admin.get_by_role("button", name="Add person").click()
    expect(admin.locator(".field.has-error").first).to_be_visible()
    assert_accessible(admin, "new person form with field errors")

    admin.goto("/people/import")
    admin.get_by_role("button", name="Check the file").click()
    expect(admin.locator(".error")).to_contain_text("Choose a CSV file.")
    assert_accessible(admin, "import without a file")

    admin.goto("/api-tokens")
    admin.get_by_label("Name").fill("E2E scheduling tool")
    admin.get_by_role("button", name="Create token").click()
    expect(admin.get_by_text("Copy this token now.")).to_be_visible()
    assert_accessible(admin, "API tokens with a new secret and a revoke button")

    admin.goto(f"/people/{site.people[SHOWCASE]}/rights")
    admin.get_by_role("button", name="Suspend").click()
    expect(admin.locator(".field.has-error")).to_be_visible()
    assert_accessible(admin, "suspend form with a missing reason")

"""axe-core on every page type: no serious or critical violation, with the page's CSP in force."""
import pytest

from tests.e2e.conftest import PHONE
from tests.e2e.helpers import PAGE_TYPES, assert_accessible

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


@pytest.mark.parametrize("page_type", [p for p in PAGE_TYPES if p.main], ids=[p.name for p in PAGE_TYPES if p.main])
def test_main_page_is_accessible_on_a_phone(page_type, site, signed_in):
    """The phone layout is scanned too: reflowed content can hide or overlap things."""
    page = signed_in(page_type.user, PHONE)
    page.goto(page_type.path(site))
    assert_accessible(page, f"{page_type.name} at 390px")

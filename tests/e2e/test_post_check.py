"""Check a post in a real browser, on a phone: the verdict, the marked draft, the lessons, accessible."""
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE
from tests.e2e.helpers import SCAN_EMPLOYEE, assert_accessible, assert_no_horizontal_overflow

DRAFT = ("Congrats to Maria Lopez in room 412 on going home after her knee surgery! "
         "Our new knee program is guaranteed to get you walking in a week.")


def test_a_nurse_checks_a_draft_on_a_phone(site, signed_in):
    page = signed_in(SCAN_EMPLOYEE, PHONE)
    page.goto("/check-post")
    page.get_by_label("Your draft").fill(DRAFT)
    page.get_by_label("Where will it go?").select_option("instagram")
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("heading", name="Do not post this")).to_be_visible()
    expect(page.locator("mark.finding-stop").first).to_be_visible()
    expect(page.locator(".findings li")).to_have_count(page.locator(".draft mark").count())
    assert_no_horizontal_overflow(page, "check a post, with findings")
    assert_accessible(page, "check a post, with findings")
    page.get_by_role("link", name="Learn why: Why").first.click()  # the lesson the finding cites
    expect(page.locator("h1")).to_contain_text("names")

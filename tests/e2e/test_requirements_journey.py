"""A person asks to post on a platform; their manager approves it from a phone; it becomes part of
the person's training, with a due date, on My training."""
import re

import pytest

from tests.e2e.conftest import KEYBOARD_USER, MANAGER, PHONE, log_in
from tests.e2e.helpers import assert_accessible, assert_no_horizontal_overflow
from tests.tools import need_module

expect = need_module("playwright.sync_api", "playwright").expect

pytestmark = pytest.mark.e2e


def test_a_manager_approves_a_request_to_post_from_a_phone(site, new_page):
    manager = new_page(PHONE)
    log_in(manager, site, MANAGER)
    manager.goto("/team")
    requests = manager.locator(".requests")
    expect(requests.get_by_role("heading")).to_contain_text("Asking to post")
    expect(requests).to_contain_text("Chloé Martin asks to post on Facebook")
    assert_accessible(manager, "team with a request")
    assert_no_horizontal_overflow(manager, "team with a request")
    requests.get_by_label("Note to Chloé Martin (optional)").fill("Yes, for the ward's page.")
    requests.get_by_role("button", name="Approve Chloé Martin").click()
    expect(manager.locator(".flash-success")).to_contain_text("Approved: Chloé Martin, Facebook posting.")
    expect(manager.locator(".requests")).to_have_count(0)

    person = new_page()
    log_in(person, site, KEYBOARD_USER)
    required = person.locator(".required-plan")
    expect(required).to_contain_text("Facebook posting")
    expect(required).to_contain_text(re.compile(r"Due \d{1,2} [A-Z][a-z]{2} \d{4}: in \d+ days"))
    expect(person.locator(".optional-platforms")).not_to_contain_text("Facebook posting")
    expect(person.get_by_text(re.compile(r"^\d+ of 6 required modules complete$"))).to_be_visible()

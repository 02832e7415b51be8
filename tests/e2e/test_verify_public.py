"""Someone who was read a certificate code checks it on the public page, at phone and laptop sizes."""
import re

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, SHOWCASE
from tests.e2e.helpers import assert_accessible, assert_no_horizontal_overflow
from tests.tools import need_module

expect = need_module("playwright.sync_api", "playwright").expect

pytestmark = pytest.mark.e2e

EXPIRED_HOLDER = "isabel.ruiz@demo-health.example"  # the demo's marketing history: certified 400 days ago
SIZES = [PHONE, DESKTOP]
SIZE_IDS = [f"{s['width']}px" for s in SIZES]


def _code(site, email: str) -> str:
    from sqlalchemy import select

    from app.certificates.models import Certificate

    with site.db() as session:
        return session.scalar(select(Certificate.code).where(Certificate.user_id == site.people[email],
                                                             Certificate.certification_slug == "core"))


def _check(page, typed: str) -> None:
    page.goto("/verify")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check a certificate")
    page.get_by_label("Certificate code or address").fill(typed)
    page.get_by_role("button", name="Check").click()


@pytest.mark.parametrize("viewport", SIZES, ids=SIZE_IDS)
def test_a_code_read_aloud_and_typed_in_small_letters_finds_the_certificate(site, new_page, viewport):
    from app.certificates.codes import grouped

    code = _code(site, SHOWCASE)
    page = new_page(viewport=viewport)
    _check(page, grouped(code).lower().replace("-", " "))
    expect(page).to_have_url(site.url(f"/verify/{code}"))  # the address its QR code opens
    expect(page.get_by_role("heading", level=1)).to_have_accessible_name("Valid certificate")  # icon not read out
    expect(page.locator(".facts")).to_contain_text(grouped(code))
    assert_no_horizontal_overflow(page, f"valid certificate at {viewport['width']}px")
    assert_accessible(page, f"valid certificate at {viewport['width']}px")


@pytest.mark.parametrize("viewport", SIZES, ids=SIZE_IDS)
def test_an_unknown_code_says_so_with_the_code_as_typed(site, new_page, viewport):
    page = new_page(viewport=viewport)
    with page.expect_response(re.compile(r"/verify/[^?]+$")) as answer:
        _check(page, "QXFK 7TC9 NOPE")
    assert answer.value.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("No certificate matches QXFK 7TC9 NOPE")
    expect(page.get_by_label("Certificate code or address")).to_have_value("QXFK 7TC9 NOPE")
    assert_no_horizontal_overflow(page, f"unknown code at {viewport['width']}px")
    assert_accessible(page, f"unknown code at {viewport['width']}px")
    data = page.request.get("/verify/QXFK 7TC9 NOPE.json")
    assert data.status == 404 and data.json()["error"]["message"] == "No certificate matches QXFK 7TC9 NOPE"


@pytest.mark.parametrize("viewport", SIZES, ids=SIZE_IDS)
def test_an_expired_certificate_has_its_icon_like_valid_and_revoked_ones(site, new_page, viewport):
    page = new_page(viewport=viewport)
    page.goto(f"/verify/{_code(site, EXPIRED_HOLDER)}")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_accessible_name("Expired certificate")
    expect(heading.locator(".verify-icon")).to_have_text(re.compile("^⚠"))
    expect(heading.locator(".verify-icon")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("Isabel Ruiz")
    assert_no_horizontal_overflow(page, f"expired certificate at {viewport['width']}px")
    assert_accessible(page, f"expired certificate at {viewport['width']}px")

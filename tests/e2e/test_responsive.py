"""Every page type at phone (390×844) and laptop (1366×768) sizes: no sideways scrolling of the page.

Wide tables may scroll inside their own .table-scroll region. The main pages are
scanned with axe-core at phone size too, and saved as full-page screenshots to
<page>-<width>.png: in docs/screenshots/ when UPDATE_SCREENSHOTS=1 (to refresh the
README's pictures), otherwise in pytest's temporary folder, so a test run does not
change tracked files.
"""
import io
import os

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, REPO
from tests.e2e.helpers import PAGE_TYPES, assert_accessible, assert_no_horizontal_overflow
from tests.tools import need_module

expect = need_module("playwright.sync_api", "playwright").expect

pytestmark = pytest.mark.e2e

DOCS_SCREENSHOTS = REPO / "docs" / "screenshots"
SIZES = [PHONE, DESKTOP]


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory):
    return DOCS_SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path_factory.mktemp("screenshots")


@pytest.mark.parametrize("viewport", SIZES, ids=[f"{s['width']}x{s['height']}" for s in SIZES])
@pytest.mark.parametrize("page_type", PAGE_TYPES, ids=[p.name for p in PAGE_TYPES])
def test_page_fits_the_screen(page_type, viewport, site, signed_in, screenshots):
    page = signed_in(page_type.user, viewport)
    page.goto(page_type.path(site))
    heading = page.locator("h1").first
    expect(heading).to_be_visible()
    if page_type.heading:
        expect(heading).to_contain_text(page_type.heading)
    assert_no_horizontal_overflow(page, f"{page_type.name} at {viewport['width']}px")

    # Everything in the header (brand, navigation, sign out) is on screen and big enough to tap.
    for box in page.locator(".site-header a, .site-header button").evaluate_all(
            "els => els.map(e => { const r = e.getBoundingClientRect();"
            " return {text: e.innerText, left: r.left, right: r.right, height: r.height}; })"):
        assert box["left"] >= 0 and box["right"] <= viewport["width"], f"{box} is off screen"
        assert box["height"] >= 24, f"{box} is smaller than a 24px target"

    if page_type.main and viewport == PHONE:
        assert_accessible(page, f"{page_type.name} at {viewport['width']}px")  # reflow can hide or overlap things
    if page_type.main:
        save_screenshot(page.screenshot(full_page=True), screenshots / f"{page_type.name}-{viewport['width']}.png")


def save_screenshot(png: bytes, path) -> None:
    """Save a PNG, reduced to a 256-colour palette when Pillow is there (a third of the size, same look)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        from PIL import Image
    except ImportError:
        path.write_bytes(png)
        return
    with Image.open(io.BytesIO(png)) as image:
        image.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
            path, optimize=True)

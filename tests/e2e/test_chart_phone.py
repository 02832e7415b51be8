"""The team chart reads on a phone: a narrow layout with labels above the bars, text about page size."""
from tests.e2e.conftest import MANAGER, PHONE, log_in
from tests.tools import need_module

expect = need_module("playwright.sync_api", "playwright").expect


def test_the_team_chart_reads_on_a_phone(site, new_page):
    page = new_page(viewport=PHONE)
    log_in(page, site, MANAGER)
    page.goto(site.url("/team"))
    narrow = page.locator("svg.chart-narrow")
    expect(narrow).to_be_visible()
    expect(page.locator("svg.chart-wide")).to_be_hidden()
    label_height = narrow.locator("text").first.evaluate("t => t.getBoundingClientRect().height")
    assert label_height >= 11, f"chart labels are {label_height:.1f}px high on a phone"

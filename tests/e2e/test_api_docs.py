"""The API reference reads in a real browser under the site's Content-Security-Policy."""
from playwright.sync_api import expect


def test_the_openapi_document_is_readable_in_the_browser(site, new_page):
    page = new_page()
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(site.url("/api/docs"))
    expect(page.locator(".opblock").first).to_be_visible(timeout=15000)
    expect(page.locator("body")).to_contain_text("/people/{email}/posting-rights/{platform}")
    assert refused == []

"""Render an HTML report to a tagged PDF with WeasyPrint, using only bundled assets.

WeasyPrint (and its fonts) are imported on first use: most workers never render a PDF, and the
import alone is about 40 MB per process.
"""
import functools
import threading

_lock = threading.Lock()


@functools.cache
def _resources(stylesheet: str):
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    from app.certificates.pdf import ASSET_FETCHER, ASSETS_URL

    fonts = FontConfiguration()
    return fonts, CSS(url=ASSETS_URL + stylesheet, url_fetcher=ASSET_FETCHER, font_config=fonts)


def render_pdf(html: str, stylesheet: str = "report.css") -> bytes:
    """A PDF/UA (tagged) document; nothing outside app/assets/ is ever fetched."""
    from weasyprint import HTML

    from app.certificates.pdf import ASSET_FETCHER, ASSETS_URL, PDF_VARIANT

    with _lock:  # WeasyPrint's font machinery is not documented as thread-safe
        fonts, css = _resources(stylesheet)
        document = HTML(string=html, base_url=ASSETS_URL, url_fetcher=ASSET_FETCHER).render(
            font_config=fonts, stylesheets=[css], pdf_variant=PDF_VARIANT)
        return document.write_pdf(pdf_variant=PDF_VARIANT)

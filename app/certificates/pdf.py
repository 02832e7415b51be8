"""Certificate PDFs: one landscape US Letter page, rendered by WeasyPrint from bundled assets only.

`render_certificate_pdf(document)` renders the `certificates/pdf.html` template
(callers are inside an app context) with `app/assets/certificate.css` and the
fonts in `app/assets/fonts/`, as a tagged PDF/UA-1 file for screen readers.

Nothing is fetched from the network or from the file system outside
`app/assets/`: WeasyPrint only sees `ASSET_FETCHER`, whose every fetch goes
through `asset_url_fetcher`, which refuses any other URL by raising
`AssetRefused`. Every value on the certificate is escaped text.

The holder's name picks a size step by its display width (CJK characters count
double). If the rendered document is longer than one page, or its title block
runs into the band pinned to the bottom of the page, it is rendered again with
the rest of the page compacted, then with the name one step smaller, and so on.
A certificate is never more than one page: when even the smallest size does not
fit, `CertificateLayoutError` is raised.

The font configuration and the parsed stylesheet are loaded once per process
and reused; WeasyPrint's font machinery is not documented as thread-safe, so
renders are serialized by a lock (a render takes a fraction of a second).
"""
from __future__ import annotations

import functools
import threading
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import segno
from flask import render_template
from markupsafe import Markup
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from app.certificates.codes import grouped, grouped_html

TEMPLATE_VERSION = "2026-12-07.2"  # bump when the template, stylesheet or fonts change; stored next to each PDF

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
ASSETS_URL = ASSETS_DIR.as_uri() + "/"  # base_url of every certificate: relative URLs resolve into the assets
STYLESHEET_URL = ASSETS_URL + "certificate.css"
TEMPLATE = "certificates/pdf.html"
PDF_VARIANT = "pdf/ua-1"  # tagged PDF with language, title and alt text (WeasyPrint's PDF/UA-1 variant)

MIME_TYPES = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff2": "font/woff2",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}

# Size steps (see certificate.css): the holder name's font size shrinks with its display width,
# and when a render does not fit, the rest of the page is compacted, then the name shrinks further.
NAME_WIDTH_STEPS = (32, 60, 100, 160, 240)  # up to this many columns -> step 0, 1, 2, 3, 4; wider -> 5
LAST_NAME_STEP = 7  # steps 6 and 7 are only reached by retrying
LAST_COMPACT = 2
MIN_GAP_PX = 12  # at least this much room (CSS px, 9pt) between the holder block and the bottom band

NARROW_MODULES = 12  # up to this many modules fit beside the dates; more go full width, two per row
QR_TITLE = "QR code that opens the verification page for this certificate"
MONTHS = ("January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December")


@dataclass(frozen=True)
class CertificateDocument:
    organization: str
    holder_name: str
    certification_title: str  # e.g. "Instagram posting"
    course_title: str  # e.g. "HIPAA-Safe Social Media"
    course_version: str  # e.g. "2026.1"
    modules: tuple[tuple[str, date], ...]  # (module title, completion date)
    issued_at: datetime  # aware, in the zone whose calendar the certificate prints (naive: UTC)
    expires_at: datetime  # the same
    code: str  # unguessable code as issued (app.certificates.codes), shown in groups of four
    verify_url: str  # absolute URL of the public verification page
    policy_version: str = ""  # the social media policy version the holder had signed ("" when none applied)
    accent: str = ""  # the organisation's brand colour (#rrggbb) for the frame and headings; "" keeps navy


class AssetRefused(ValueError):
    """A URL outside the bundled assets was asked for; it is never fetched."""


class CertificateLayoutError(RuntimeError):
    """The certificate does not fit on one page even at the smallest size step."""


# ---- Restricted fetching ------------------------------------------------------------------------

def asset_url_fetcher(url: str, timeout=10, ssl_context=None) -> dict:
    """Serve a file under app/assets/ for a `file://` URL; refuse every other URL.

    Returns WeasyPrint's classic fetcher dict (`string`, `mime_type`,
    `redirected_url`). Raises `AssetRefused` for another scheme (http, https,
    data, ...), a host, a path outside the assets (including `..` and symlink
    escapes) or a missing file. `timeout` and `ssl_context` exist for signature
    compatibility and are unused: nothing is ever fetched over a network.
    """
    path = _asset_path(url)
    return {
        "string": path.read_bytes(),
        "mime_type": MIME_TYPES.get(path.suffix.lower(), "application/octet-stream"),
        "redirected_url": path.as_uri(),
    }


def _asset_path(url: str) -> Path:
    shown = url if len(url) <= 120 else url[:117] + "..."
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise AssetRefused(f"refused to fetch {shown!r}: certificates load bundled assets only")
    raw = Path(url2pathname(parts.path))
    if not raw.is_absolute():
        raise AssetRefused(f"refused to fetch {shown!r}: not an absolute file URL")
    path = raw.resolve()
    if not path.is_relative_to(ASSETS_DIR) or not path.is_file():
        raise AssetRefused(f"refused to fetch {shown!r}: not a file under {ASSETS_DIR}")
    return path


class AssetFetcher(URLFetcher):
    """The URL fetcher WeasyPrint is given: every fetch goes through `asset_url_fetcher`.

    WeasyPrint 70 requires a `URLFetcher` instance returning `URLFetcherResponse`
    objects (a plain function returning a dict is no longer accepted), so this
    adapts `asset_url_fetcher`. `fetch` and `open` are overridden, so urllib's
    HTTP/FTP/file handlers set up by the base class are never reached.
    """

    def __init__(self):
        super().__init__(allowed_protocols=("file",), allow_redirects=False, fail_on_errors=False)

    def fetch(self, url, headers=None):
        resource = asset_url_fetcher(url)  # looked up at call time, so tests can observe it
        return URLFetcherResponse(
            resource["redirected_url"], resource["string"], {"Content-Type": resource["mime_type"]})

    def open(self, url, data=None, timeout=None):
        return self.fetch(getattr(url, "full_url", url))


ASSET_FETCHER = AssetFetcher()


@functools.cache
def _resources() -> tuple[FontConfiguration, CSS]:
    """The font configuration and the parsed stylesheet (with its @font-face rules), once per process."""
    font_config = FontConfiguration()
    stylesheet = CSS(url=STYLESHEET_URL, url_fetcher=ASSET_FETCHER, font_config=font_config)
    return font_config, stylesheet


_render_lock = threading.Lock()


# ---- Rendering ----------------------------------------------------------------------------------

def render_certificate_pdf(doc: CertificateDocument) -> bytes:
    """The certificate as a one-page, tagged PDF. Needs an app context (for the template)."""
    scheme = urlsplit(doc.verify_url).scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"verify_url must be an absolute http(s) URL, got {doc.verify_url!r}")
    context = _template_context(doc)
    with _render_lock:
        font_config, stylesheet = _resources()
        for name_step, compact in size_attempts(doc.holder_name):
            html = render_template(TEMPLATE, name_step=name_step, compact=compact, **context)
            document = HTML(string=html, base_url=ASSETS_URL, url_fetcher=ASSET_FETCHER).render(
                font_config=font_config, stylesheets=[stylesheet], pdf_variant=PDF_VARIANT)
            if _fits_one_page(document):
                return document.write_pdf(pdf_variant=PDF_VARIANT)
    raise CertificateLayoutError(
        f"certificate {doc.code} does not fit on one page even at the smallest size "
        f"(name of {len(doc.holder_name)} characters, {len(doc.modules)} modules)")


def size_attempts(name: str) -> list[tuple[int, int]]:
    """(name step, compact level) pairs to try in order: compact the rest first, then shrink the name."""
    first = initial_size_step(name)
    return ([(first, compact) for compact in range(LAST_COMPACT + 1)]
            + [(step, LAST_COMPACT) for step in range(first + 1, LAST_NAME_STEP + 1)])


def _fits_one_page(document) -> bool:
    """One page, and the title block ends above the band pinned to the bottom (see certificate.css)."""
    if len(document.pages) != 1:
        return False
    anchors = document.pages[0].anchors  # element id -> (x1, y1, x2, y2), CSS px from the page's top-left
    return anchors["band-top"][1] - anchors["top-end"][1] >= MIN_GAP_PX


def initial_size_step(name: str) -> int:
    """The first size step to try for a holder name, by its display width."""
    width = display_width(name)
    for step, limit in enumerate(NAME_WIDTH_STEPS):
        if width <= limit:
            return step
    return len(NAME_WIDTH_STEPS)


def display_width(text: str) -> int:
    """Columns the text takes: wide and full-width characters (CJK, Hangul) count as two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def text_dir(text: str) -> str:
    """`rtl` when the first strong character is right-to-left (Arabic, Hebrew), else `ltr`."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def long_date(value: date) -> str:
    return f"{MONTHS[value.month - 1]} {value.day}, {value.year}"


def short_date(value: date) -> str:
    return f"{MONTHS[value.month - 1][:3]} {value.day}, {value.year}"


def _calendar_date(moment: datetime) -> date:
    """The date on the calendar of the moment's own zone (the organisation's, as issued); naive is UTC."""
    return moment.date()


def _template_context(doc: CertificateDocument) -> dict:
    qr = segno.make(doc.verify_url, error="m")
    modules = [(title, short_date(completed)) for title, completed in doc.modules]
    return {
        "doc": doc,
        # In groups of four, to read aloud; the QR code and the address keep the code as issued.
        "code": grouped(doc.code),
        "code_html": grouped_html(doc.code),
        "title": f"Certificate: {doc.certification_title}, {doc.holder_name}",
        "issued": long_date(_calendar_date(doc.issued_at)),
        "expires": long_date(_calendar_date(doc.expires_at)),
        "modules": modules,
        "module_rows": [modules[i:i + 2] for i in range(0, len(modules), 2)] if len(modules) > NARROW_MODULES else [],
        # segno writes the SVG itself; the URL is encoded in the modules, never as markup.
        "qr_svg": Markup(qr.svg_inline(border=4, omitsize=True, title=QR_TITLE, dark="#000", light="#fff")),  # nosec B704
        "text_dir": text_dir,
    }

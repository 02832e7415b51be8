"""Certificate PDFs: one landscape page, every script rendered with shipped fonts, a working QR code,
nothing fetched from outside app/assets/, tagged for screen readers.

Needs poppler-utils (pdfinfo, pdftotext, pdffonts, pdftoppm); the QR test also needs zbarimg
(Debian package zbar-tools). Without them those tests skip, or fail under CI=true (tests/tools.py).
"""
import re
import subprocess
import zlib
from datetime import date, datetime, timedelta, timezone

import pytest
from weasyprint import HTML

from app.certificates import pdf as certificate_pdf
from app.certificates.pdf import (
    ASSET_FETCHER,
    ASSETS_DIR,
    ASSETS_URL,
    AssetRefused,
    CertificateDocument,
    CertificateLayoutError,
    asset_url_fetcher,
    display_width,
    initial_size_step,
    render_certificate_pdf,
    size_attempts,
    text_dir,
)
from tests.tools import need_tool

ISSUED = datetime(2026, 11, 25, 14, 30, tzinfo=timezone.utc)
CODE = "Qm9vb3N0LXRoZS1jb2RlLTI3Y2g"
VERIFY_URL = f"https://postready.example.org/verify/{CODE}"
MODULES = (
    ("Protected health information on social media", date(2026, 11, 20)),
    ("Patient consent and authorization", date(2026, 11, 21)),
    ("Medical claims and advertising", date(2026, 11, 22)),
    ("Negative reviews and crisis response", date(2026, 11, 24)),
    ("Content workflow, voice and accessibility", date(2026, 11, 24)),
    ("Posting on Instagram", date(2026, 11, 25)),
)

UNICODE_NAMES = {
    "accents": "Zoë Ñúñez-Ångström",
    "chinese": "王小明",
    "japanese": "佐藤花子",
    "korean": "김민준",
    "arabic": "محمد عبد الله",
    "hebrew": "דוד כהן",
    "emoji": "Sam 🌻 Lee ⭐",
}
LONG_NAMES = {
    "300 characters": ("Maximiliana Josephina Wilhelmina " * 10)[:300],
    "300 characters, one word": ("Abcdefghijklmnopqrstuvwxyz" * 12)[:300],
    "300 CJK characters": ("王小明佐藤花子김민준" * 30)[:300],
}


def document(**changes) -> CertificateDocument:
    values = dict(
        organization="Test Health",
        holder_name="Eli Employee",
        certification_title="Instagram posting",
        course_title="HIPAA-Safe Social Media",
        course_version="2026.1",
        modules=MODULES,
        issued_at=ISSUED,
        expires_at=ISSUED + timedelta(days=365),
        code=CODE,
        verify_url=VERIFY_URL,
        policy_version="2026.1",  # the line a signed policy adds: every layout test carries it
    )
    values.update(changes)
    return CertificateDocument(**values)


def run(tool: str, *args: str) -> str:
    """Run one of poppler-utils' PDF tools (pdftotext, pdffonts, pdftoppm...)."""
    need_tool(tool, "poppler-utils")
    return subprocess.run([tool, *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def rendered(app, tmp_path):
    """Render a certificate and return the path of the PDF file."""
    count = 0

    def _render(doc: CertificateDocument):
        nonlocal count
        count += 1
        path = tmp_path / f"certificate-{count}.pdf"
        path.write_bytes(render_certificate_pdf(doc))
        return path

    return _render


def pdf_info(path) -> dict[str, str]:
    return dict(line.split(":", 1) for line in run("pdfinfo", str(path)).splitlines() if ":" in line)


def pdf_text(path) -> str:
    """Text as poppler extracts it, without the bidi embedding marks it puts around RTL runs."""
    return re.sub("[\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", run("pdftotext", "-enc", "UTF-8", str(path), "-"))


def pdf_font_names(path) -> list[str]:
    lines = run("pdffonts", str(path)).splitlines()[2:]  # after the header and the dashes
    return [line.split()[0] for line in lines if line.strip()]


def pdf_objects(data: bytes) -> bytes:
    """The file with every Flate stream inflated (PDF 1.7 packs most objects in object streams)."""
    inflated = [data]
    for match in re.finditer(rb"stream\r?\n", data):
        try:
            inflated.append(zlib.decompressobj().decompress(data[match.end():]))
        except zlib.error:
            pass  # not a Flate stream
    return b"\n".join(inflated)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


# ---- One landscape page ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["Eli Employee", *LONG_NAMES.values()], ids=["normal", *LONG_NAMES])
def test_renders_exactly_one_landscape_letter_page(rendered, name):
    path = rendered(document(holder_name=name))
    info = pdf_info(path)
    assert info["Pages"].strip() == "1"
    assert info["Page size"].split()[:3] == ["792", "x", "612"]  # US Letter, landscape (points)
    assert squeeze(name) in squeeze(pdf_text(path))  # all of it, not clipped


@pytest.mark.parametrize("name", ["Eli Employee", *LONG_NAMES.values()], ids=["normal", *LONG_NAMES])
@pytest.mark.parametrize("module_count", [1, 6, 10])
def test_every_word_stays_inside_the_border_and_clear_of_the_others(rendered, name, module_count, tmp_path):
    titles = [title for title, _ in MODULES]
    titles += ["Posting on Facebook", "Posting on LinkedIn", "Posting on YouTube", "Posting on TikTok"]
    modules = tuple((title, date(2026, 11, 20)) for title in titles[:module_count])
    path = rendered(document(holder_name=name, modules=modules))
    html = tmp_path / "bbox.html"
    run("pdftotext", "-raw", "-bbox", str(path), str(html))  # -raw: in the order it was drawn
    words = re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html.read_text())
    boxes = [tuple(map(float, word[:4])) for word in words]
    assert boxes
    inside = 0.35 * 72 + 10  # page margin plus the double rule and its padding, in points
    for x_min, y_min, x_max, y_max in boxes:
        assert inside <= x_min and x_max <= 792 - inside, (x_min, x_max)
        assert inside <= y_min and y_max <= 612 - inside, (y_min, y_max)
    # In drawing order: the title block, ending with "... holds the certification Instagram posting",
    # then the band pinned to the bottom.
    band_start = [word[4] for word in words].index("certification") + 1 + len("Instagram posting".split())
    title_bottom = max(y_max for _, _, _, y_max in boxes[:band_start])
    band_top = min(y_min for _, y_min, _, _ in boxes[band_start:])
    assert title_bottom < band_top  # the holder block never runs into the band


def test_the_signed_policy_version_is_printed(rendered):
    text = squeeze(pdf_text(rendered(document()))).lower()
    assert squeeze("policy signed social media policy, version 2026.1") in text
    assert "policy signed" not in pdf_text(rendered(document(policy_version=""))).lower()


def test_names_pick_smaller_steps_as_they_get_wider():
    assert initial_size_step("Eli Employee") == 0
    assert display_width("王小明") == 6 and display_width("Zoë") == 3
    steps = [initial_size_step("x" * n) for n in (10, 40, 80, 140, 200, 300)]
    assert steps == sorted(steps) and steps[0] == 0 and steps[-1] == 5
    assert initial_size_step("王" * 150) == 5  # 150 wide characters take 300 columns


def test_content_that_cannot_fit_one_page_is_an_error_not_a_second_page(app):
    many = tuple((f"Module {i} with a long descriptive title about social media", date(2026, 11, 1)) for i in range(60))
    with pytest.raises(CertificateLayoutError):
        render_certificate_pdf(document(holder_name=LONG_NAMES["300 characters"], modules=many))


def test_retries_compact_the_page_before_shrinking_the_name():
    assert size_attempts("Eli Employee") == [
        (0, 0), (0, 1), (0, 2), (1, 2), (2, 2), (3, 2), (4, 2), (5, 2), (6, 2), (7, 2)]
    assert size_attempts("x" * 300) == [(5, 0), (5, 1), (5, 2), (6, 2), (7, 2)]


def test_many_modules_go_two_per_row_and_still_fit(rendered):
    modules = tuple((f"Module {i}: posting on a platform", date(2026, 11, 1 + i)) for i in range(16))
    path = rendered(document(modules=modules))
    assert pdf_info(path)["Pages"].strip() == "1"
    text = pdf_text(path)
    assert all(f"Module {i}: posting on a platform" in text for i in range(16))


# ---- Unicode names and shipped fonts ----------------------------------------------------------------

@pytest.mark.parametrize("name", UNICODE_NAMES.values(), ids=UNICODE_NAMES)
def test_unicode_names_are_extractable_and_use_only_shipped_fonts(rendered, name):
    path = rendered(document(holder_name=name))
    text = pdf_text(path)
    # Poppler reverses RTL runs character by character, which turns the Allah ligature's
    # text (mapped, correctly, to the logical "لله" in the PDF) into "هلل".
    candidates = {name, name.replace("الله", "اهلل")}
    assert any(candidate in text for candidate in candidates), text
    fonts = pdf_font_names(path)
    assert fonts
    # Every font is one of the @font-face families (a system fallback font would mean a missing glyph).
    assert all(re.fullmatch(r"[A-Z]{6}\+PostReady-[A-Za-z-]+", font) for font in fonts), fonts


def test_each_script_uses_its_own_shipped_font(rendered):
    expected = {"korean": "Hangul", "chinese": "CJK", "arabic": "Arabic", "hebrew": "Hebrew", "emoji": "Symbols"}
    for key, family in expected.items():
        fonts = pdf_font_names(rendered(document(holder_name=UNICODE_NAMES[key])))
        assert any(f"-{family}" in font for font in fonts), (key, fonts)


def test_rtl_names_are_laid_out_right_to_left():
    assert text_dir("محمد عبد الله") == "rtl"
    assert text_dir("דוד כהן") == "rtl"
    assert text_dir("Zoë Ñúñez-Ångström") == "ltr"
    assert text_dir("  (محمد) Smith") == "rtl"  # the first strong character decides
    assert text_dir("1234") == "ltr"


def test_every_font_face_is_shipped_with_a_license_and_the_folder_stays_small():
    css = (ASSETS_DIR / "certificate.css").read_text()
    sources = re.findall(r"src:\s*url\(([^)]+)\)", css)
    assert sources
    for source in sources:
        assert (ASSETS_DIR / source).is_file(), source
    fonts = ASSETS_DIR / "fonts"
    assert (fonts / "OFL-1.1.txt").is_file() and (fonts / "Apache-2.0.txt").is_file()
    readme = (fonts / "README.md").read_text()
    font_files = [p for p in fonts.iterdir() if p.suffix in (".ttf", ".otf", ".woff2")]
    assert all(p.name in readme for p in font_files)  # each file's origin and license is recorded
    assert sum(p.stat().st_size for p in fonts.iterdir()) < 8 * 1024 * 1024


# ---- QR code -------------------------------------------------------------------------------------------

def test_qr_code_opens_the_verification_page(rendered, tmp_path):
    need_tool("zbarimg", "zbar-tools")
    path = rendered(document())
    run("pdftoppm", "-r", "150", "-png", "-singlefile", str(path), str(tmp_path / "page"))
    result = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(tmp_path / "page.png")],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [VERIFY_URL]


def test_verify_url_is_printed_as_text_and_linked(rendered):
    path = rendered(document())
    assert squeeze(VERIFY_URL) in squeeze(pdf_text(path))
    assert f"/URI ({VERIFY_URL})".encode() in pdf_objects(path.read_bytes())


def test_verify_url_must_be_http(app):
    with pytest.raises(ValueError):
        render_certificate_pdf(document(verify_url="javascript:alert(1)"))


# ---- Nothing is fetched but the bundled assets ---------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://example.com/x.png",
    "https://example.com/style.css",
    "file:///etc/passwd",
    ASSETS_URL + "../__init__.py",
    ASSETS_URL + "fonts/../../config.py",
    ASSETS_URL + "fonts",  # a folder, not a file
    ASSETS_URL + "missing.css",
    "file://otherhost" + ASSETS_DIR.as_posix() + "/certificate.css",
    "data:text/css,body{color:red}",
    "ftp://example.com/x",
    "fonts/NotoSans-Regular.ttf",  # relative: never resolved against the working directory
])
def test_fetcher_refuses_anything_but_bundled_assets(url):
    with pytest.raises(AssetRefused):
        asset_url_fetcher(url)
    with pytest.raises(AssetRefused):
        ASSET_FETCHER(url)


def test_fetcher_serves_bundled_assets():
    resource = asset_url_fetcher(ASSETS_URL + "certificate.css")
    assert resource["mime_type"] == "text/css" and b"@font-face" in resource["string"]
    font = asset_url_fetcher(ASSETS_URL + "fonts/NotoSans-Regular.ttf?v=1#x")
    assert font["mime_type"] == "font/ttf" and len(font["string"]) > 100_000


def test_fetcher_refuses_a_symlink_out_of_the_assets(tmp_path, monkeypatch):
    assets = tmp_path / "assets"
    assets.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (assets / "innocent.css").symlink_to(tmp_path / "secret.txt")
    monkeypatch.setattr(certificate_pdf, "ASSETS_DIR", assets.resolve())
    with pytest.raises(AssetRefused):
        asset_url_fetcher((assets / "innocent.css").as_uri())


@pytest.fixture
def fetches(monkeypatch):
    """Every URL WeasyPrint asks the certificate fetcher for, with the outcome."""
    calls: list[tuple[str, str]] = []

    def spy(url, timeout=10, ssl_context=None):
        try:
            resource = asset_url_fetcher(url)
        except AssetRefused:
            calls.append((url, "refused"))
            raise
        calls.append((url, "served"))
        return resource

    monkeypatch.setattr(certificate_pdf, "asset_url_fetcher", spy)
    return calls


def test_markup_in_names_and_urls_is_escaped_and_never_fetched(app, tmp_path, fetches):
    holder = '<img src="http://example.com/holder.png"> Eve'
    url = "https://postready.example.org/verify/<img src=http://example.com/url.png>"
    path = tmp_path / "escaped.pdf"
    path.write_bytes(render_certificate_pdf(document(holder_name=holder, verify_url=url)))
    text = pdf_text(path)
    assert squeeze(holder) in squeeze(text)  # shown as text, so it was never an element
    assert squeeze(url) in squeeze(text)
    assert not any("example.com" in fetched for fetched, _ in fetches)
    assert all(fetched.startswith(ASSETS_URL) for fetched, _ in fetches)


def test_html_referencing_outside_urls_renders_without_fetching_them(fetches):
    html = """<!doctype html><html lang="en"><head><title>t</title>
      <link rel="stylesheet" href="https://example.com/evil.css">
      <style>body { background: url(http://example.com/bg.png) }</style></head>
      <body><p>Hello</p>
      <img src="file:///etc/passwd" alt="passwd">
      <img src="http://example.com/x.png" alt="remote">
      <img src="../__init__.py" alt="escape"></body></html>"""
    pdf = HTML(string=html, base_url=ASSETS_URL, url_fetcher=ASSET_FETCHER).write_pdf()
    assert pdf.startswith(b"%PDF")
    asked = dict(fetches)
    assert asked["file:///etc/passwd"] == "refused"
    assert asked["http://example.com/x.png"] == "refused"
    assert asked["https://example.com/evil.css"] == "refused"
    assert asked["http://example.com/bg.png"] == "refused"
    escape = [url for url in asked if url.endswith("/__init__.py")]
    assert escape and all(asked[url] == "refused" for url in escape)
    assert "served" not in asked.values()


# ---- Accessibility ---------------------------------------------------------------------------------------

def test_pdf_is_tagged_with_language_and_title(rendered):
    path = rendered(document())
    data = pdf_objects(path.read_bytes())
    assert b"/StructTreeRoot" in data and b"/MarkInfo" in data
    assert b"/Lang (en)" in data
    assert b"/Figure" in data and b"/Alt (QR code" in data  # the QR code has alternate text
    info = pdf_info(path)
    assert info["Tagged"].strip() == "yes"
    assert info["Title"].strip() == "Certificate: Instagram posting, Eli Employee"


def test_same_certificate_renders_to_the_same_bytes(app):
    assert render_certificate_pdf(document()) == render_certificate_pdf(document())


def test_the_brand_colour_replaces_the_navy_and_the_layout_holds(rendered, tmp_path):
    plain, branded = rendered(document()), rendered(document(accent="#7a1f5c"))
    assert pdf_info(branded)["Pages"].strip() == "1"
    run("pdftoppm", "-png", "-r", "20", str(plain), str(tmp_path / "plain"))
    run("pdftoppm", "-png", "-r", "20", str(branded), str(tmp_path / "branded"))
    assert (tmp_path / "plain-1.png").read_bytes() != (tmp_path / "branded-1.png").read_bytes()

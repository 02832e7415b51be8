"""The HTML part of every email: the plain text as paragraphs, in the organisation's colours.

The text is split here into plain pieces and link pieces; the template (app/templates/email/base.html)
escapes every piece, so nothing a person typed (a name, a title) can become markup. The only markup
made from the text is the links to the http(s) addresses found in it.
"""
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import current_app

from app.branding import brand_color

URL = re.compile(r"https?://[^\s<>\"']+")
TRAILING = ".,;:!?)]}"  # sentence punctuation after an address is not part of it
LOGO_MAX_BYTES = 300_000  # one copy goes with every email
EMAIL_LOGO_TYPES = {".png": ("image", "png"), ".jpg": ("image", "jpeg"), ".jpeg": ("image", "jpeg")}


@dataclass(frozen=True)
class Piece:
    text: str
    href: str | None = None  # set: a link to this address


@dataclass(frozen=True)
class Block:
    lines: tuple[tuple[Piece, ...], ...] = ()  # a paragraph, its lines kept
    button: str | None = None  # or an address alone on its line, shown as a button


@dataclass(frozen=True)
class Logo:
    data: bytes
    maintype: str
    subtype: str


def pieces_of(line: str) -> tuple[Piece, ...]:
    """One line as text and links (each address found, less any punctuation that ends the sentence)."""
    pieces, start = [], 0
    for match in URL.finditer(line):
        url = match.group(0).rstrip(TRAILING)
        if not URL.fullmatch(url):
            continue
        if match.start() > start:
            pieces.append(Piece(line[start:match.start()]))
        pieces.append(Piece(url, href=url))
        start = match.start() + len(url)
    if start < len(line):
        pieces.append(Piece(line[start:]))
    return tuple(pieces)


def blocks_of(text: str) -> list[Block]:
    """Paragraphs split at blank lines; an address alone on its line becomes a button of its own."""
    blocks: list[Block] = []
    lines: list[tuple[Piece, ...]] = []

    def end_paragraph():
        if lines:
            blocks.append(Block(lines=tuple(lines)))
            lines.clear()

    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            end_paragraph()
        elif URL.fullmatch(stripped):
            end_paragraph()
            blocks.append(Block(button=stripped))
        else:
            lines.append(pieces_of(line.rstrip()))
    end_paragraph()
    return blocks


def _file_state(path: str) -> tuple[int, int] | None:
    try:
        stat = Path(path).stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=4)
def _read_logo(path: str, state: tuple[int, int] | None) -> Logo | None:
    """Read once per version of the file; a logo that cannot go in an email is said once, in the log."""
    kind = EMAIL_LOGO_TYPES.get(Path(path).suffix.lower())
    problem = None
    if state is None or not Path(path).is_file():
        problem = "is not a file that can be read"
    elif kind is None:
        problem = "is not a PNG or JPEG (many email programs do not show SVG)"
    elif state[1] > LOGO_MAX_BYTES:
        problem = f"is larger than {LOGO_MAX_BYTES // 1000} KB"
    if problem:
        current_app.logger.warning("ORG_LOGO_FILE %r %s; emails show the organisation's name alone.", path, problem)
        return None
    return Logo(Path(path).read_bytes(), *kind)


def email_logo(config) -> Logo | None:
    """The logo to embed in emails (ORG_LOGO_FILE), or None: the name is shown alone."""
    path = config.get("ORG_LOGO_FILE")
    return _read_logo(str(path), _file_state(str(path))) if path else None


def render_html(text: str, subject: str, reason: str | None, logo_cid: str | None) -> str:
    """The HTML version of a message; logo_cid names the inline logo part, if there is one."""
    app = current_app
    color = app.config.get("BRAND_COLOR") or brand_color(app)
    # The Jinja environment itself, not render_template: no request-only context processors (a worker
    # has no request), and Flask's autoescaping of .html templates still applies.
    template = app.jinja_env.get_template("email/base.html")
    return template.render(subject=subject, blocks=blocks_of(text), org_name=app.config["ORG_NAME"],
                           brand_color=color, logo_src=f"cid:{logo_cid}" if logo_cid else None, reason=reason)

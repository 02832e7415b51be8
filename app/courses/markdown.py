"""Lesson Markdown: CommonMark with raw HTML off and only safe link schemes."""
from urllib.parse import urlsplit

from markdown_it import MarkdownIt

SAFE_SCHEMES = {"http", "https", "mailto"}


def is_safe_url(url: str) -> bool:
    # Browsers ignore control characters and spaces inside a scheme ("java\tscript:"),
    # so judge the URL the way a browser would read it.
    cleaned = "".join(ch for ch in url if ord(ch) > 0x20 and ch != "\x7f")
    scheme = urlsplit(cleaned).scheme.lower()
    return scheme == "" or scheme in SAFE_SCHEMES


def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.validateLink = is_safe_url
    return md


_md = _renderer()
_inspector = MarkdownIt("commonmark", {"html": True})
_inspector.validateLink = lambda url: True  # see every link, so unsafe ones can be named


def render_markdown(text: str) -> str:
    return _md.render(text)


def unsafe_markup(text: str) -> list[tuple[int | None, str]]:
    """(line, problem) for raw HTML and unsafe links that rendering would drop."""
    problems = []
    for token in _inspector.parse(text):
        block_line = token.map[0] + 1 if token.map else None
        if token.type == "html_block":
            problems.append((block_line, "raw HTML is not allowed in lessons"))
        for child in token.children or []:
            if child.type == "html_inline":
                problems.append((block_line, f"raw HTML is not allowed in lessons: {child.content!r}"))
            href = child.attrGet("href") if child.type == "link_open" else child.attrGet("src")
            if isinstance(href, str) and not is_safe_url(href):
                problems.append((block_line, f"link scheme not allowed: {href!r} (use http, https or mailto)"))
    return problems

"""Certificate codes: making a new one, showing one to people, and what a typed code can mean.

Two kinds of code are in use. Certificates issued until December 2026 have `secrets.token_urlsafe(20)`:
27 characters of url-safe base64, in which case matters (`Qm9v` and `qm9v` are different codes)
and `-` and `_` are characters of the code. Matching those in any case would make one typed code
mean several certificates, so they are only ever matched exactly (spaces aside). New codes carry
the same 160 random bits in Crockford base32: 32 characters from 0-9 and the capitals without
I, L, O and U. Nothing in them depends on case or punctuation, so a code read aloud can be typed
back in any case, with or without hyphens, and an O, I or L typed for 0, 1 or 1 still works.

Grouping is for people only: every code is stored, signed, put in URLs and QR codes exactly as issued.
"""
import base64
import re
import secrets

from markupsafe import Markup, escape

RANDOM_BYTES = 20  # 160 random bits, either kind
GROUP = 4  # characters per group when shown
MESSAGE_CHARS = 60  # at most this much of what was typed is repeated back

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_FROM_RFC4648 = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", CROCKFORD)
_MISREAD = str.maketrans("OIL", "011")  # Crockford's decoding: letters that look like 0 and 1
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212", "-"))  # typographic dashes
NEW_CODE = re.compile(f"[{CROCKFORD}]{{32}}")
STORED = re.compile(r"[A-Za-z0-9_-]{20,40}")  # the shape of any code ever issued
# An older code typed in groups of four joined by hyphens (its own hyphens can sit inside a group).
_OLD_IN_HYPHEN_GROUPS = re.compile(r"(?:[A-Za-z0-9_-]{4}-)+[A-Za-z0-9_-]{1,4}")
MAX_TYPED = 120  # longer input is no code (a grouped new code is 39 characters)


def new_code() -> str:
    """A new certificate code: 160 random bits in Crockford base32, 32 characters."""
    return base64.b32encode(secrets.token_bytes(RANDOM_BYTES)).decode("ascii").translate(_FROM_RFC4648)


def is_new_style(code: str) -> bool:
    return NEW_CODE.fullmatch(code) is not None


def grouped(code: str) -> str:
    """The code in groups of four for reading aloud. New codes are joined by hyphens; older codes by
    spaces, because a hyphen can be one of their characters."""
    separator = "-" if is_new_style(code) else " "
    return separator.join(code[i:i + GROUP] for i in range(0, len(code), GROUP))


def grouped_html(code: str) -> Markup:
    """`grouped` for HTML: a line may break only between groups (<wbr> after each hyphen; a hyphen
    before a digit is no break opportunity by itself), and a copy of it has no extra characters."""
    separator = Markup("-<wbr>") if is_new_style(code) else Markup(" ")
    return separator.join(escape(code[i:i + GROUP]) for i in range(0, len(code), GROUP))


def candidates(typed: str) -> list[str]:
    """The stored codes a typed code can mean, the most literal first (at most three, each an exact
    match to look up): as typed without whitespace and invisible characters (no code has any); an
    older code typed in hyphen-joined groups, those hyphens dropped; a new code in any case, without
    hyphens, O/I/L read as 0/1/1. Never an older code in another case than typed."""
    if len(typed) > MAX_TYPED:
        return []
    compact = "".join(ch for ch in typed.translate(_DASHES) if ch.isprintable() and not ch.isspace())
    found = [compact]
    if _OLD_IN_HYPHEN_GROUPS.fullmatch(compact):
        found.append("".join(compact[i:i + GROUP] for i in range(0, len(compact), GROUP + 1)))
    new_style = compact.replace("-", "").upper().translate(_MISREAD)
    if is_new_style(new_style):
        found.append(new_style)
    return [code for code in dict.fromkeys(found) if STORED.fullmatch(code)]


def as_typed(typed: str) -> str:
    """What was typed, to repeat back to the person: printable characters, whitespace runs as one
    space, cut short (this is text anyone can put in a link to the page)."""
    shown = " ".join("".join(ch if ch.isprintable() else " " for ch in typed).split())
    return shown if len(shown) <= MESSAGE_CHARS else shown[:MESSAGE_CHARS - 1] + "…"


def as_typed_html(typed: str) -> Markup:
    """`as_typed` for HTML, with a line break opportunity every few characters (a long run of
    letters would otherwise push a phone's page sideways)."""
    shown = as_typed(typed)
    return Markup("<wbr>").join(escape(shown[i:i + 2 * GROUP]) for i in range(0, len(shown), 2 * GROUP))


def no_match_message(typed: str) -> str:
    """What every unknown code gets, the same words whatever its shape, in HTML and in JSON."""
    return f"No certificate matches {as_typed(typed)}"

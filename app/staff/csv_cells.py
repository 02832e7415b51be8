"""Checking one cell of an HR staff export: each parser returns the clean value or raises CellError
with a message that says what is wrong and how to fix it (see csv_import for the rules)."""
import re
import unicodedata
from datetime import date

from app.accounts.emails import EmailProblem, check_email
from app.accounts.names import NameProblem, check_name
from app.staff.csv_rows import CLEAR

MIN_YEAR, MAX_YEAR = 1900, 2100

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # category Cc, except tab, LF and CR
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_SHORT_YEAR_DATE = re.compile(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2}")


class CellError(ValueError):
    pass


def show(value: str, limit: int = 60) -> str:
    """A cell value quoted for a message, shortened when long."""
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return repr(value)


def is_blank(raw: str) -> bool:
    return not raw.split()


def is_clear(raw: str) -> bool:
    """The cell holds the clear marker (any case, any spaces around it)."""
    return " ".join(raw.split()).lower() == CLEAR


def clean(raw: str) -> str:
    """NFC-normalised, formula and control characters refused, whitespace collapsed."""
    value = unicodedata.normalize("NFC", raw)
    collapsed = " ".join(value.split())
    if not collapsed:
        return ""
    if control := _CONTROL.search(value):
        raise CellError(f"{show(collapsed)} contains a control character (U+{ord(control.group()):04X}); remove it")
    first = value.lstrip(" ")[0]
    if first in ("\t", "\r"):
        name = "tab character" if first == "\t" else "carriage return"
        raise CellError(f"{show(collapsed)} starts with a {name} and looks like a spreadsheet formula; "
                         f"remove the leading {name}")
    if collapsed.startswith(FORMULA_STARTS):
        raise CellError(f"{show(collapsed)} looks like a spreadsheet formula; remove the leading {collapsed[0]!r}")
    return collapsed


def email(raw: str, what: str, cache: dict[str, tuple[str, str]]) -> str:
    """The address in its normal form (app.accounts.emails); `cache` keeps each distinct cell's
    verdict, (address, "") or ("", problem), as a file repeats its managers' addresses."""
    value = clean(raw)
    if not value:
        raise CellError(f"{what} is blank; enter the person's work email address")
    if value not in cache:
        try:
            cache[value] = (check_email(value), "")
        except EmailProblem as exc:
            cache[value] = ("", str(exc))
    address, problem = cache[value]
    if problem:
        raise CellError(problem)
    return address


def hire_date(raw: str) -> date | None:
    value = clean(raw)
    if not value:
        return None
    fix = "use YYYY-MM-DD, for example 2024-03-15 (M/D/YYYY is also accepted)"
    if match := _ISO_DATE.fullmatch(value):
        year, month, day = (int(part) for part in match.groups())
    elif match := _US_DATE.fullmatch(value):
        month, day, year = (int(part) for part in match.groups())
    elif _SHORT_YEAR_DATE.fullmatch(value):
        raise CellError(f"bad date {show(value)}: the year must have four digits; {fix}")
    else:
        raise CellError(f"bad date {show(value)}: not a recognised date format; {fix}")
    try:
        result = date(year, month, day)
    except ValueError:
        problem = f"there is no month {month}" if not 1 <= month <= 12 else f"month {month} has no day {day}"
        raise CellError(f"bad date {show(value)}: {problem}; {fix}") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise CellError(f"bad date {show(value)}: the year {year} is not plausible; {fix}")
    return result


def choice(raw: str, column: str, allowed: tuple[str, ...], hint: str = "") -> str:
    value = clean(raw).lower()
    options = ", ".join(allowed[:-1]) + " or " + allowed[-1]
    if not value:
        raise CellError(f"{column} is blank; use {options}")
    if value not in allowed:
        raise CellError(f"{column} {show(value)} is not allowed; use {options}{hint}")
    return value


def name(raw: str, column: str) -> str:
    """A person's name (app.accounts.names: NFC, no invisible format characters)."""
    try:
        return check_name(clean(raw), column)
    except NameProblem as exc:
        raise CellError(str(exc)) from None


def text(raw: str, column: str, limit: int, required: bool) -> str:
    value = clean(raw)
    if required and not value:
        raise CellError(f"{column} is blank; enter the person's name")
    if len(value) > limit:
        raise CellError(f"{column} is {len(value)} characters long; shorten it to at most {limit}")
    return value

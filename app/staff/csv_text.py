"""A staff file's bytes to text (UTF-8 only), and text to CSV records with the line each starts on."""
from __future__ import annotations

import csv
import io
import re

from app.staff.csv_rows import RowError

_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_SAVE_AS_UTF8 = ("save the file as CSV UTF-8 (in Excel: File > Save As > 'CSV UTF-8 (Comma delimited)') "
                 "and import it again")


def _line_of_offset(data: bytes, offset: int) -> int:
    return len(_LINE_BREAK.findall(data, 0, offset)) + 1


# --- bytes to text -------------------------------------------------------------

def _wide_encoding(data: bytes) -> str | None:
    """'UTF-16' or 'UTF-32' when the bytes look like either, else None."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    sample = data[:4096]
    nuls = sample.count(0)
    if sample and nuls / len(sample) >= 0.6:
        return "UTF-32"
    if sample and nuls / len(sample) >= 0.2:
        return "UTF-16"
    return None


# What a file really is, by its first bytes, when it is not text: people rename files.
_NOT_CSV = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another ZIP archive"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel workbook (.xls)"),
    (b"%PDF", "a PDF document"),
)
_MARKUP = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*<(?:!doctype html|html|\?xml|table)", re.IGNORECASE)


def _what_it_really_is(data: bytes) -> str | None:
    found = next((what for magic, what in _NOT_CSV if data.startswith(magic)), None)
    if found is None and _MARKUP.match(data[:512]):
        found = "a web page (HTML) or XML file"
    return found


def decode(data: bytes) -> tuple[str | None, RowError | None]:
    really = _what_it_really_is(data)
    if really:
        return None, RowError(None, None, f"this is {really}, not a CSV file, whatever its name says; "
                                          f"open it in Excel and {_SAVE_AS_UTF8}")
    wide = _wide_encoding(data)
    if wide:
        return None, RowError(None, None, f"unsupported encoding (looks like {wide}): {_SAVE_AS_UTF8}")
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    try:
        text = data[len(bom):].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = len(bom) + exc.start
        line = _line_of_offset(data, offset)
        return None, RowError(line, None, (
            f"the file is not valid UTF-8: byte 0x{data[offset]:02X} at byte offset {offset} cannot be read "
            f"(files saved as plain 'CSV' from Excel are often in a different encoding); {_SAVE_AS_UTF8}"
        ))
    nul = text.find("\x00")
    if nul >= 0:
        offset = len(bom) + len(text[:nul].encode("utf-8"))
        line = _line_of_offset(data, offset)
        return None, RowError(line, None, (
            f"the file contains a NUL byte at byte offset {offset}, so it is damaged or not a CSV file; "
            "export the staff list again as CSV UTF-8"
        ))
    return text, None


# --- text to records -------------------------------------------------------------

def records(text: str) -> tuple[list[tuple[int, list[str]]], list[RowError]]:
    """Every CSV record with the physical line it starts on; syntax problems as errors.

    `reader.line_num` is the line a record *ends* on, so a record starts on the
    line after the previous record ended, which stays right across quoted cells
    that contain line breaks.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    errors: list[RowError] = []
    ended = 0
    while True:
        start = ended + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            ended = reader.line_num
            errors.append(RowError(start, None, _csv_error_message(str(exc), start, ended)))
            continue
        ended = reader.line_num
        if any(cell.strip() for cell in record):
            records.append((start, record))
    return records, errors


def _csv_error_message(reason: str, start: int, end: int) -> str:
    if "unexpected end of data" in reason:
        return (f"a quoted value that starts on line {start} is never closed, so the rest of the file "
                "was read as one value; add the missing closing double quote (\")")
    if "expected after" in reason:
        return ('a quoted value is followed by more text before the next comma; put the whole value '
                'inside the double quotes, and write a double quote inside a value as two ("")')
    if "field larger than field limit" in reason:
        return (f"a value is longer than {csv.field_size_limit():,} characters, which no staff field needs; "
                "check for a missing closing double quote (\") or remove the long value")
    return f"the line cannot be read as CSV ({reason}); check the quotes and commas on it"


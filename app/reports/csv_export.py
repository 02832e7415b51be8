"""CSV that is safe to open in a spreadsheet (no formula injection)."""
import csv
import io
from collections.abc import Iterable, Sequence

# A cell starting with one of these is run as a formula by Excel, Sheets and LibreOffice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    # OWASP's advice: prefix a single quote so the cell is shown as text, never evaluated.
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()

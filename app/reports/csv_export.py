"""CSV that is safe to open in a spreadsheet (no formula injection)."""
import csv
import io
from collections.abc import Iterable, Iterator, Sequence

# Excel reads a CSV as the machine's legacy code page unless it starts with a byte-order mark:
# "Zoë" and "Kateřina" would come out garbled.
BOM = "\ufeff"

# A cell starting with one of these is run as a formula by Excel, Sheets and LibreOffice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    # OWASP's advice: prefix a single quote so the cell is shown as text, never evaluated.
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence], rows_per_chunk: int = 500) -> Iterator[str]:
    """The CSV in pieces, for a streamed response: a 20,000-row export never sits whole in memory."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for n, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(v) for v in row])
        if n % rows_per_chunk == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    return "".join(csv_chunks(header, rows))

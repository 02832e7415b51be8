"""A status cell as HTML (the `status_cell` template filter): a badge, and the due date if any."""

import re

from markupsafe import Markup, escape

from app.reports.rules import Cell, Status


def status_cell(cell: Cell, due_format: str = "%-d %b") -> Markup:
    if not cell.required:
        if cell.status is Status.NOT_STARTED:
            return Markup('<span class="not-required">Not required</span>')
        return Markup(f'<span class="status status-optional">{escape(cell.label)}</span>'
                      '<span class="small muted"> · optional</span>')  # nosec B704 - the label went through escape()
    html = f'<span class="status status-{cell.status.name.lower()}">{escape(cell.label)}</span>'
    if cell.due and cell.status is not Status.OVERDUE:  # an overdue cell already names its due date
        html += f'<span class="small muted"> · due {cell.due.strftime(due_format)}</span>'
    return Markup(html)  # nosec B704 - the only text, the label, went through escape()


_MONTH_DAY = re.compile(r"\b([A-Z][a-z]{2,8}) (\d{1,2})\b")
_DAY_YEAR = re.compile(r"\b(\d{1,2}), (\d{4})\b")
_DAY_MONTH = re.compile(r"\b(\d{1,2}) ([A-Z][a-z]{2,8})\b")
_MONTH_YEAR = re.compile(r"\b([A-Z][a-z]{2,8}) (\d{4})\b")
_ISO_DAY = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


def unbroken_dates(text: str) -> Markup:
    """A label whose dates never wrap across two lines in print: "2 Nov 2026" (or "Nov 2, 2026") with
    no-break spaces, an ISO date in a no-wrap span (its hyphens are break opportunities otherwise)."""
    safe = str(escape(text))
    safe = _DAY_YEAR.sub("\\1,\u00a0\\2", _MONTH_DAY.sub("\\1\u00a0\\2", safe))
    safe = _MONTH_YEAR.sub("\\1\u00a0\\2", _DAY_MONTH.sub("\\1\u00a0\\2", safe))
    return Markup(_ISO_DAY.sub('<span class="date">\\1</span>', safe))  # nosec B704 - escaped above

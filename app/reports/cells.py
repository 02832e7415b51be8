"""A status cell as HTML, built in Python once per distinct cell.

A dashboard page shows 300 cells; through Jinja each cost a dozen attribute lookups and
filters, a fifth of the page. Cells are frozen and repeat (same status, same dates), so
the markup is memoised.
"""
from functools import lru_cache

from markupsafe import Markup, escape

from app.reports.rules import Cell, Status


@lru_cache(maxsize=4096)
def status_cell(cell: Cell, due_format: str = "%b %-d") -> Markup:
    html = f'<span class="status status-{cell.status.name.lower()}">{escape(cell.label)}</span>'
    if cell.due and cell.status is not Status.OVERDUE:  # an overdue cell already names its due date
        html += f'<span class="small muted"> · due {cell.due.strftime(due_format)}</span>'
    return Markup(html)  # nosec B704 - the only text, the label, went through escape()

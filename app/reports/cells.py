"""A status cell as HTML (the `status_cell` template filter): a badge, and the due date if any."""

from markupsafe import Markup, escape

from app.reports.rules import Cell, Status


def status_cell(cell: Cell, due_format: str = "%b %-d") -> Markup:
    html = f'<span class="status status-{cell.status.name.lower()}">{escape(cell.label)}</span>'
    if cell.due and cell.status is not Status.OVERDUE:  # an overdue cell already names its due date
        html += f'<span class="small muted"> · due {cell.due.strftime(due_format)}</span>'
    return Markup(html)  # nosec B704 - the only text, the label, went through escape()

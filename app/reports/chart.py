"""A server-rendered SVG chart: one stacked bar per requirement, one colour per status."""
from collections.abc import Sequence

from markupsafe import Markup, escape

from app.reports.rules import Status, Summary

# Colour-blind-safe palette (Okabe-Ito), each status also named in the legend and in <title>.
COLOURS = {
    Status.CERTIFIED: "#009E73",
    Status.EXPIRING: "#F0E442",
    Status.PASSED: "#56B4E9",
    Status.IN_PROGRESS: "#0072B2",
    Status.NOT_STARTED: "#BBBBBB",
    Status.EXPIRED: "#E69F00",
    Status.OVERDUE: "#D55E00",
    Status.SUSPENDED: "#CC79A7",
}
ORDER = [Status.CERTIFIED, Status.EXPIRING, Status.PASSED, Status.IN_PROGRESS, Status.NOT_STARTED,
         Status.EXPIRED, Status.OVERDUE, Status.SUSPENDED]


def status_chart(labels: Sequence[str], summaries: Sequence[Summary], title: str, narrow: bool = False) -> Markup:
    """Wide: labels beside the bars. Narrow (a phone): labels above full-width bars, so the text stays
    about the size of the page's own when the SVG is scaled to the screen."""
    bar_h, label_w, bar_w, label_h = (20, 0, 340, 18) if narrow else (22, 120, 520, 0)
    step = bar_h + 10 + label_h
    suffix = "-narrow" if narrow else ""
    parts = [f'<title id="chart-title{suffix}">{escape(title)}</title>']
    for i, (label, summary) in enumerate(zip(labels, summaries, strict=True)):
        y = i * step + 4 + label_h
        if narrow:
            parts.append(f'<text x="0" y="{y - 5}" font-size="13" fill="#1b2430">{escape(label)}</text>')
        else:
            parts.append(f'<text x="{label_w - 8}" y="{y + bar_h * 0.72:.1f}" text-anchor="end" '
                         f'font-size="13" fill="#1b2430">{escape(label)}</text>')
        x = float(label_w)
        for status in ORDER:
            n = summary.counts.get(status, 0)
            if not n or not summary.total:
                continue
            w = bar_w * n / summary.total
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{COLOURS[status]}">'
                f'<title>{escape(label)}: {n} {escape(status.value)}</title></rect>'
            )
            x += w
    legend_y = len(labels) * step + 20
    x = float(label_w)
    for status in ORDER:
        width = 16 + 7.2 * len(status.value) + 14
        if x + width > label_w + bar_w + 10:
            x, legend_y = float(label_w), legend_y + 18
        parts.append(f'<rect x="{x:.0f}" y="{legend_y}" width="12" height="12" fill="{COLOURS[status]}" '
                     f'stroke="#555" stroke-width="0.5"/>'
                     f'<text x="{x + 16:.0f}" y="{legend_y + 11}" font-size="12" fill="#1b2430">'
                     f'{escape(status.value)}</text>')
        x += width
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {label_w + bar_w + 10} {legend_y + 20}" '
            f'role="img" aria-labelledby="chart-title{suffix}" class="chart chart{suffix or "-wide"}">')
    return Markup(head + "".join(parts) + "</svg>")  # nosec B704 - every text in the SVG went through escape() above

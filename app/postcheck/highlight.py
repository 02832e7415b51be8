"""The draft with each finding marked and numbered, as escaped HTML."""
from markupsafe import Markup, escape


def highlighted(text: str, findings) -> Markup:
    """Overlapping findings share the first one's mark; numbers follow the findings' order."""
    pieces, position = [], 0
    for number, finding in enumerate(findings, start=1):
        if finding.start < position:
            continue
        pieces.append(escape(text[position:finding.start]))
        pieces.append(Markup('<mark class="finding-{}" id="mark-{}">{}<sup>{}</sup></mark>').format(
            finding.severity, number, text[finding.start:finding.end], number))
        position = finding.end
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)

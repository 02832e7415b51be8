"""The PDF renderer: renders certificates' PDFs outside the web workers (CERTIFICATE_PDFS=worker).

`postready certificates render-pending --watch` runs it beside gunicorn. Its queue is the set of
certificates without a stored PDF, so nothing is lost if it stops, and a download that arrives
before it renders one renders that one itself (certificates.views.download).
"""
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app

from app.certificates.services import (
    certificate_document,
    certificates_without_pdf,
    newest_certificate_id,
    pending_pdf_ids,
    render_document,
    store_pdfs,
)
from app.extensions import db

# A poll looks only above the highest id already handled (an index range, however many certificates
# there are); every this many polls it looks at all, for an id committed out of order (PostgreSQL
# sequences) or left by an earlier failure.
FULL_SWEEP_EVERY = 300


@dataclass
class RendererTally:
    stored: int = 0
    failed: list[int] = field(default_factory=list)


def render_and_store_pdfs(certificate_ids: list[int]) -> None:
    """After the commit that issued these certificates: render and store their PDFs. A failure here
    loses nothing: the certificate is committed, and the renderer or its first download renders it."""
    render_batch(certificate_ids, RendererTally())


def render_batch(ids: list[int], tally: RendererTally) -> None:
    """Read what these certificates' PDFs show, render them outside any transaction, then store
    them and commit. One that fails is logged and left for the next sweep or download.

    No transaction stays open while rendering or sleeping: on SQLite an open read pins its snapshot
    of the write-ahead log, which then cannot start over and grows with every commit meanwhile."""
    documents = []
    for certificate in certificates_without_pdf(ids):
        try:
            documents.append((certificate.id, certificate_document(certificate)))
        except Exception:  # noqa: BLE001 - one bad certificate must not stop the others
            _failed(certificate.id, tally)
    db.session.commit()  # nothing written: ends the read before the slow part
    rendered = []
    for certificate_id, document in documents:
        try:
            rendered.append(render_document(certificate_id, document))
        except Exception:  # noqa: BLE001
            _failed(certificate_id, tally)
    if rendered:
        tally.stored += store_pdfs(rendered)
        db.session.commit()


def announce_rendered() -> None:
    """The holders of certificates just rendered get their email (see app.certificates.notices)."""
    from app.certificates.notices import announce_after_commit

    announce_after_commit(None)


def _failed(certificate_id: int, tally: RendererTally) -> None:
    current_app.logger.exception("rendering the PDF of certificate %s failed", certificate_id)
    tally.failed.append(certificate_id)


def run_renderer(batch: int, interval: float, watch: bool, stopping: Callable[[], bool],
                 issued_since: datetime | None = None) -> RendererTally:
    """Render every pending PDF (of certificates issued since `issued_since`, if given); with watch,
    keep polling every `interval` seconds until `stopping()`."""
    tally, after, polls = RendererTally(), 0, 0
    while not stopping():
        sweep = polls % FULL_SWEEP_EVERY == 0
        polls += 1
        newest = newest_certificate_id()
        found = pending_pdf_ids(batch, after=0 if sweep else after, issued_since=issued_since)
        ids = found if sweep else [i for i in found if i not in tally.failed]
        db.session.commit()  # end the poll's read: never sleep or render inside one (see render_batch)
        if ids:
            render_batch(ids, tally)
            announce_rendered()
        if len(found) == batch:  # more may be waiting: look again at once
            after = max(after, found[-1])
            continue
        after = max(after, newest)  # all up to `newest` are done (a failure waits for the next sweep)
        if not watch:
            break
        time.sleep(interval)
    return tally

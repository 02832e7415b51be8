"""Measurements taken inside the benchmark process, next to the HTTP ones in the same run.

* The export floor: the same report as one raw aggregation query plus a plain loop and
  csv.writer (bench/export_floor.py), with a plain SQLAlchemy engine (no app code); and,
  for reference, the first floor, which reads certificates only (EXPORT_QUERY below).
* Certificate rendering: the app's render_certificate_pdf against a bare
  WeasyPrint render of the very same HTML (same stylesheet, fonts and PDF variant).
"""
from __future__ import annotations

import csv
import io
import statistics
import time
from datetime import datetime, timezone

from sqlalchemy import text

from bench.floors import CERTIFICATIONS, _as_datetime, make_engine

EXPORT_QUERY = text("""
    SELECT u.id, u.full_name, u.email, d.name, m.full_name, u.hire_date, u.active,
           c.certification_slug, MAX(c.expires_at)
    FROM users u
    LEFT JOIN departments d ON d.id = u.department_id
    LEFT JOIN users m ON m.id = u.manager_id
    LEFT JOIN certificates c ON c.user_id = u.id
        AND NOT EXISTS (SELECT 1 FROM certificate_revocations r WHERE r.certificate_id = c.id)
    WHERE u.active
    GROUP BY u.id, u.full_name, u.email, d.name, m.full_name, u.hire_date, u.active, c.certification_slug
    ORDER BY u.full_name, u.id
""")


def export_floor_once(engine) -> tuple[float, int, int]:
    """(seconds, rows, bytes): one aggregation query, a plain loop, csv.writer."""
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    people: dict[int, list] = {}
    with engine.connect() as conn:
        for uid, name, email, dept, manager, hired, active, slug, expires in conn.execute(EXPORT_QUERY):
            row = people.get(uid)
            if row is None:
                row = people[uid] = [name, email, dept or "", manager or "", hired or "", "yes" if active else "no"] \
                    + ["Not started"] * len(CERTIFICATIONS)
            if slug in CERTIFICATIONS:
                expires = _as_datetime(expires)
                row[6 + CERTIFICATIONS.index(slug)] = (f"Certified until {expires:%b %-d, %Y}" if expires > now
                                                       else f"Expired {expires:%b %-d, %Y}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Name", "Email", "Department", "Manager", "Hire date", "Active", *CERTIFICATIONS])
    writer.writerows(people.values())
    body = out.getvalue()
    return time.perf_counter() - started, len(people), len(body.encode())


def export_floor(url: str, repeats: int) -> dict:
    """The same report as one aggregation query (median of `repeats`), with its last CSV."""
    from app.database import set_write_intent
    from bench.export_floor import export_once

    set_write_intent(False)  # this process imported the app, whose listener begins every SQLite transaction
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            export_once(conn)  # warm the connection and the page cache, as the app's runs are
            runs = [export_once(conn) for _ in range(repeats)]
    finally:
        engine.dispose()
    times, body = [r[0] for r in runs], runs[-1][1]
    return {"seconds": statistics.median(times), "all": times, "rows": body.count("\r\n") - 1,
            "bytes": len(body.encode()), "csv": body}


def certificates_only_floor(url: str, repeats: int) -> dict:
    """The first export floor: certificates alone, one query, a plain loop (a simpler report)."""
    from app.database import set_write_intent

    set_write_intent(False)
    engine = make_engine(url)
    try:
        export_floor_once(engine)
        runs = [export_floor_once(engine) for _ in range(repeats)]
    finally:
        engine.dispose()
    times = [r[0] for r in runs]
    return {"seconds": statistics.median(times), "all": times, "rows": runs[0][1], "bytes": runs[0][2]}


def certificate_render(app, samples: int, rounds: int = 5) -> dict:
    """Median seconds of the app's render_certificate_pdf and of a bare WeasyPrint render of the same HTML,
    over `rounds` passes through the `samples` newest certificates."""
    from flask import render_template
    from sqlalchemy import select
    from weasyprint import HTML

    from app.certificates import pdf as certpdf
    from app.certificates.models import Certificate
    from app.certificates.services import verify_url
    from app.courses.models import Certification
    from app.extensions import db

    with app.app_context():
        rows = db.session.execute(
            select(Certificate, Certification.title).join(Certification, Certificate.certification_id == Certification.id)
            .order_by(Certificate.id.desc()).limit(samples)).all()
        docs = [certpdf.CertificateDocument(
            organization=app.config["ORG_NAME"], holder_name=c.holder_name, certification_title=title,
            course_title="HIPAA-Safe Social Media", course_version=c.course_version.version_label,
            modules=tuple((m["title"], datetime.fromisoformat(m["completed_at"]).date()) for m in c.modules),
            issued_at=c.issued_at, expires_at=c.expires_at, code=c.code, verify_url=verify_url(c.code))
            for c, title in rows]
        db.session.rollback()
        font_config, stylesheet = certpdf._resources()

        def bare(html: str) -> bytes:
            return HTML(string=html, base_url=certpdf.ASSETS_URL, url_fetcher=certpdf.ASSET_FETCHER).write_pdf(
                stylesheets=[stylesheet], font_config=font_config, pdf_variant=certpdf.PDF_VARIANT)

        def page_html(doc) -> str:
            step, compact = certpdf.size_attempts(doc.holder_name)[0]
            return render_template(certpdf.TEMPLATE, name_step=step, compact=compact,
                                   **certpdf._template_context(doc))

        certpdf.render_certificate_pdf(docs[0])  # warm both paths (fonts, stylesheet, template)
        bare(page_html(docs[0]))

        def timed(render, argument) -> tuple[float, bytes]:
            started = time.perf_counter()
            content = render(argument)
            return time.perf_counter() - started, content

        app_times, bare_times, sizes = [], [], []
        # A single render varies by a tenth or more, and one in a dozen takes twice as long (a
        # garbage collection landing in it): several rounds, and the side that goes first
        # alternates from pair to pair and from round to round, so each certificate is measured
        # both ways and neither side is favoured by what ran just before it.
        for round_ in range(rounds):
            for n, doc in enumerate(docs):
                html = page_html(doc)
                if (n + round_) % 2:
                    bare_time, _ = timed(bare, html)
                    app_time, content = timed(certpdf.render_certificate_pdf, doc)
                else:
                    app_time, content = timed(certpdf.render_certificate_pdf, doc)
                    bare_time, _ = timed(bare, html)
                app_times.append(app_time)
                bare_times.append(bare_time)
                sizes.append(len(content))
    return {"app_seconds": statistics.median(app_times), "bare_seconds": statistics.median(bare_times),
            "app_all": app_times, "bare_all": bare_times, "samples": len(docs), "rounds": rounds,
            "renders": len(app_times),
            "pdf_bytes": int(statistics.median(sizes))}

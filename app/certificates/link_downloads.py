"""The holder's download link, answered beneath Flask (WSGI middleware).

The link (app.certificates.links) is its own authority: it needs no session, no signed-in user,
no form and no rate limit, and what it returns is stored, immutable bytes. So, as WhiteNoise does
for static files, it is served before Flask's request machinery runs (request and app contexts,
URL map, hooks, session, CSRF, Flask-Login), which did nothing for it yet cost nearly two thirds of
its instructions (docs/benchmarks.md §20). The security headers' middleware still wraps it.

Only a link that serves a stored PDF is answered here. Anything else (an expired, forged or
mistyped link, a holder signed out since, a PDF not rendered yet, an error reading it) goes on
to Flask, whose route for the same path sends the browser to the signed-in download.
"""
from __future__ import annotations

from flask import Flask

from app.certificates import links
from app.certificates.services import StoredPdf, stored_pdf_by_link
from app.extensions import db

SERVED_METHODS = ("GET", "HEAD")


def register(app: Flask) -> None:
    app.wsgi_app = LinkDownloads(app, app.wsgi_app)


def download_headers(pdf: StoredPdf) -> list[tuple[str, str]]:
    """The headers of a certificate PDF download (this path and the signed-in route alike)."""
    return [
        ("Content-Type", "application/pdf"),
        ("Content-Length", str(len(pdf.content))),
        ("Content-Disposition",
         f'attachment; filename="postready-certificate-{pdf.certification_slug}-{pdf.issued_at:%Y-%m-%d}.pdf"'),
        ("Cache-Control", "private, max-age=0"),
        ("ETag", f'"{pdf.sha256}"'),
    ]


class LinkDownloads:
    def __init__(self, app: Flask, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app
        with app.app_context():
            self.engine = db.engine  # made by db.init_app: the same object for the app's life

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if method in SERVED_METHODS:
            match = links.PATH.fullmatch(environ.get("PATH_INFO", ""))
            if match is not None:
                pdf = self._stored(int(match["certificate_id"]), match["token"])
                if pdf is not None:
                    start_response("200 OK", download_headers(pdf))
                    return [] if method == "HEAD" else [pdf.content]
        return self.wsgi_app(environ, start_response)

    def _stored(self, certificate_id: int, token: str) -> StoredPdf | None:
        try:
            return stored_pdf_by_link(certificate_id, token, secret_key=self.app.secret_key, engine=self.engine)
        except Exception:  # noqa: BLE001 (any failure: Flask's route answers instead, as for any bad link)
            self.app.logger.exception("certificate link download failed; handing the request to Flask")
            return None

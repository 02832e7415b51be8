"""The holder's download link: signed, an hour long, bound to the holder's sign-in, no cookie read."""
import re
import time

import pytest
from flask import request, request_started
from sqlalchemy import create_engine, func, select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.certificates import links
from app.certificates.link_downloads import LinkDownloads
from app.certificates.models import Certificate, CertificatePdf
from app.database import utcnow
from app.extensions import db
from tests.conftest import csrf_token
from tests.factories import PASSWORD, certify, pass_module

NOW = utcnow()
LINK = re.compile(r'href="(/certificates/(\d+)/pdf/[^"]+)"')


def core_certificate(user) -> Certificate:
    return db.session.scalar(select(Certificate).where(Certificate.user_id == user.id,
                                                       Certificate.certification_slug == "core"))


def signed_in(app, user):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    return client


def holders_link(app, people) -> tuple[str, Certificate]:
    certify(people.employee, NOW)
    certificate = core_certificate(people.employee)
    page = signed_in(app, people.employee).get(f"/certificates/{certificate.id}")
    found = LINK.search(page.text)
    assert found, "the holder's certificate page links to the PDF by a signed link"
    assert int(found.group(2)) == certificate.id and links.PATH.fullmatch(found.group(1))
    return found.group(1), certificate


def audit_rows() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_the_holders_link_serves_the_stored_pdf_without_a_cookie_and_writes_nothing(app, course, people):
    url, certificate = holders_link(app, people)
    before = audit_rows()
    response = app.test_client().get(url)  # no cookie at all: the link is its own authority
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    stored = db.session.get(CertificatePdf, certificate.id)
    assert response.data == stored.content
    assert response.headers["ETag"] == f'"{stored.sha256}"'
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="postready-certificate-core-{certificate.issued_at:%Y-%m-%d}.pdf"')
    assert "Set-Cookie" not in response.headers
    assert audit_rows() == before  # the holder's own download is a pure read, as on the signed-in route


def test_the_link_never_reads_the_session_cookie(app, course, people):
    url, _ = holders_link(app, people)
    client = signed_in(app, people.manager)
    cookie = client.get_cookie("postready_session").value
    opened = {}
    for path in (url, "/rights"):
        with app.test_request_context(path, headers={"Cookie": f"postready_session={cookie}"}):
            opened[path] = dict(app.session_interface.open_session(app, request))
    assert opened[url] == {} and "_user_id" in opened["/rights"]
    response = client.get(url)  # a signed-in browser gets the file, and its cookie is left alone
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert client.get("/rights").status_code == 200  # still signed in


def link_downloads(app) -> LinkDownloads:
    layer = app.wsgi_app
    while not isinstance(layer, LinkDownloads):
        layer = layer.wsgi_app  # each middleware keeps the app it wraps under this name
    return layer


def test_a_link_that_serves_its_pdf_never_enters_flasks_request_machinery(app, course, people):
    url, certificate = holders_link(app, people)
    started = []

    def note(sender, **extra):
        started.append(request.path)

    client = app.test_client()
    with request_started.connected_to(note, app):
        served = client.get(url)
        assert served.status_code == 200 and served.data.startswith(b"%PDF") and started == []
        # The security headers wrap this path too.
        assert served.headers["Content-Security-Policy"] and served.headers["X-Content-Type-Options"] == "nosniff"
        head = client.head(url)
        assert head.status_code == 200 and head.data == b"" and started == []
        assert head.headers["Content-Length"] == str(len(served.data))
        assert head.headers["ETag"] == served.headers["ETag"]
        # The signed-in route sends the same file with the same headers (download_headers).
        routed = signed_in(app, people.employee).get(f"/certificates/{certificate.id}/pdf")
        assert routed.data == served.data and routed.headers.getlist("Content-Length") == [str(len(served.data))]
        for name in ("Content-Type", "Content-Disposition", "Cache-Control", "ETag"):
            assert routed.headers[name] == served.headers[name], name
        started.clear()  # the signed-in route is Flask's, of course
        # A link that cannot be served is Flask's, whose route sends it to the signed-in download.
        bad = f"/certificates/{certificate.id}/pdf/{url.rsplit('/', 1)[1][:-2]}xx"
        assert sent_to_signed_in_route(client.get(bad), certificate.id) and started == [bad]


def test_a_link_whose_read_fails_is_handed_to_flask_and_logged(app, course, people, caplog):
    url, certificate = holders_link(app, people)
    downloads = link_downloads(app)
    working, downloads.engine = downloads.engine, create_engine("sqlite:////nonexistent-dir/none.sqlite3")
    try:
        response = app.test_client().get(url)
    finally:
        downloads.engine.dispose()
        downloads.engine = working
    assert sent_to_signed_in_route(response, certificate.id)
    assert "certificate link download failed; handing the request to Flask" in caplog.text
    assert app.test_client().get(url).status_code == 200


def test_the_session_signing_serializer_is_built_once_per_key(app):
    interface = app.session_interface
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first
    app.config["SECRET_KEY_FALLBACKS"] = ["an-older-key"]
    rotated = interface.get_signing_serializer(app)
    assert rotated is not first and rotated.secret_keys[0] == b"an-older-key"


def test_a_manager_sees_the_audited_signed_in_route_instead(app, course, people):
    certify(people.employee, NOW)
    certificate = core_certificate(people.employee)
    page = signed_in(app, people.manager).get(f"/certificates/{certificate.id}")
    assert f'href="/certificates/{certificate.id}/pdf"' in page.text and not LINK.search(page.text)


def sent_to_signed_in_route(response, certificate_id: int) -> bool:
    return response.status_code == 302 and response.headers["Location"].endswith(f"/certificates/{certificate_id}/pdf")


def test_signing_out_ends_the_link_and_the_signed_in_route_takes_over(app, course, people):
    url, certificate = holders_link(app, people)
    holder = signed_in(app, people.employee)
    assert holder.post("/logout", data={"csrf_token": csrf_token(holder, "/")}).status_code == 302
    response = app.test_client().get(url)
    assert sent_to_signed_in_route(response, certificate.id)
    # Signed in again, the holder follows the redirect and gets the file (by the signed-in route).
    again = signed_in(app, people.employee).get(url, follow_redirects=True)
    assert again.status_code == 200 and again.data == db.session.get(CertificatePdf, certificate.id).content


def test_a_password_change_or_a_deactivation_ends_the_link(app, course, people):
    url, certificate = holders_link(app, people)
    holder = db.session.get(User, people.employee.id)
    holder.end_all_sessions()  # what a password change does
    db.session.commit()
    assert sent_to_signed_in_route(app.test_client().get(url), certificate.id)

    url, certificate = holders_link(app, people)
    assert app.test_client().get(url).status_code == 200
    db.session.get(User, people.employee.id).active = False
    db.session.commit()
    assert sent_to_signed_in_route(app.test_client().get(url), certificate.id)


def test_a_forged_altered_or_moved_link_gets_nothing(app, course, people):
    url, certificate = holders_link(app, people)
    certify(people.other_employee, NOW)
    other = core_certificate(people.other_employee)
    token = url.rsplit("/", 1)[1]
    client = app.test_client()
    body, signature = token.rsplit(".", 1)  # change the signature's first character: six bits that count
    altered = f"{body}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    for bad in (f"/certificates/{certificate.id}/pdf/{altered}",  # signature altered
                f"/certificates/{other.id}/pdf/{token}",  # Eli's link pointed at someone else's certificate
                f"/certificates/{certificate.id}/pdf/" + links.make_token("another-key", certificate.id,
                                                                          people.employee.id, "x" * 43)):
        response = client.get(bad)
        assert response.status_code == 302 and b"%PDF" not in response.data, bad
        # ... and the signed-in route it sends to shows nothing to a stranger.
        assert client.get(response.headers["Location"]).headers["Location"].startswith("/login")


def test_the_link_expires_after_an_hour(app, course, people, monkeypatch):
    certify(people.employee, NOW)
    certificate = core_certificate(people.employee)
    holder = db.session.get(User, people.employee.id)
    real_time = time.time
    with monkeypatch.context() as m:  # a link made an hour and a minute ago
        m.setattr(time, "time", lambda: real_time() - links.LIFETIME_SECONDS - 60)
        old = links.make_token(app.secret_key, certificate.id, holder.id, holder.session_token)
    fresh = links.make_token(app.secret_key, certificate.id, holder.id, holder.session_token)
    db.session.commit()
    client = app.test_client()
    assert sent_to_signed_in_route(client.get(f"/certificates/{certificate.id}/pdf/{old}"), certificate.id)
    assert client.get(f"/certificates/{certificate.id}/pdf/{fresh}").status_code == 200


def test_a_link_to_a_pdf_not_stored_yet_goes_to_the_route_that_renders_it(app, course, people):
    for slug in ("privacy", "replies"):
        pass_module(people.employee, slug, NOW, render_pdfs=False)
    certificate = core_certificate(people.employee)
    holder = db.session.get(User, people.employee.id)
    db.session.commit()
    client = signed_in(app, people.employee)
    db.session.refresh(holder)
    url = f"/certificates/{certificate.id}/pdf/" + links.make_token(app.secret_key, certificate.id, holder.id,
                                                                    holder.session_token)
    response = client.get(url)
    assert sent_to_signed_in_route(response, certificate.id)
    assert client.get(response.headers["Location"]).data.startswith(b"%PDF")


@pytest.mark.parametrize("payload", [[1, 2], "text", [1, "2", "digest"], [1, 2, 3], {"a": 1}])
def test_tokens_of_another_shape_are_refused(payload):
    token = links._serializer("key").dumps(payload)
    assert links.read_token("key", token, 1) is None


def test_the_digest_in_the_link_is_not_the_session_token():
    token = links.make_token("key", 1, 2, "the-session-token")
    link = links.read_token("key", token, 1)
    assert link is not None and "the-session-token" not in link.session_digest
    assert link.holder_still_signed_in("the-session-token", active=True)
    assert not link.holder_still_signed_in("the-session-token", active=False)
    assert not link.holder_still_signed_in("a-new-session-token", active=True)

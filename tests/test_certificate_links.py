"""The holder's download link: signed, an hour long, bound to the holder's sign-in, no cookie read."""
import re
import time

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.certificates import links
from app.certificates.models import Certificate, CertificatePdf
from app.extensions import db
from app.timestamps import utcnow
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
    assert int(found.group(2)) == certificate.id
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

"""Earning a certificate is an event: the holder is emailed once, with the certificate, its check and the
rights it grants; a mail server that is down loses nothing."""
import socket
from datetime import timedelta
from email import message_from_string
from email.policy import default

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.certificates.models import Certificate, CertificateNotice
from app.certificates.notices import send_certificate_notices
from app.extensions import db
from app.quizzes.models import Attempt
from app.timestamps import utcnow
from tests.factories import pass_module
from tests.test_learner_path import answer_all, read_all_lessons, start_quiz, submit
from tests.test_lifecycle import smtp  # noqa: F401  (the real SMTP server fixture)


def earn_core_over_http(client, people, login):
    pass_module(people.employee, "privacy", utcnow() - timedelta(hours=1))
    login(people.employee)
    read_all_lessons(client, "replies")
    attempt = db.session.get(Attempt, start_quiz(client, "replies"))
    submit(client, attempt.id, answer_all(attempt, right=len(attempt.questions)))


def test_the_pass_that_earns_a_certificate_sends_one_email(app, client, course, people, login, smtp):  # noqa: F811
    earn_core_over_http(client, people, login)
    assert len(smtp.messages) == 1
    recipients, raw = smtp.messages[0]
    assert recipients == [people.employee.email]
    email = message_from_string(raw, policy=default)
    message = email.get_body(("plain",)).get_content()
    assert email["Subject"].startswith("Certificate earned:") and "valid until" in message
    assert "/verify/" in message and "Reply to comments and reviews" in message  # the right it grants
    certificate = db.session.scalar(select(Certificate))
    page = f"/certificates/{certificate.id}"
    assert page in message and client.get(page).status_code == 200  # the link goes where it says
    assert db.session.scalar(select(func.count()).select_from(CertificateNotice)) == 1
    assert send_certificate_notices() == 0 and len(smtp.messages) == 1  # never twice


def test_a_mail_server_that_is_down_leaves_the_notice_pending(app, client, course, people, login):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    earn_core_over_http(client, people, login)  # the pass itself is not disturbed
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    assert db.session.scalar(select(func.count()).select_from(CertificateNotice)) == 0


def test_the_daily_run_sends_what_was_pending(app, client, course, people, login, cli, smtp):  # noqa: F811
    app.config.update(CERTIFICATE_PDFS="worker")  # nothing is sent by the request in this mode
    earn_core_over_http(client, people, login)
    assert smtp.messages == []
    result = cli("reminders", "send")
    assert "1 certificate notice(s) sent" in result.output
    assert len(smtp.messages) == 1


def test_a_refused_address_is_recorded_and_retried_later(app, client, course, people, login, smtp):  # noqa: F811
    people.employee.email = "élise@test-health.example"  # the loopback server refuses non-ASCII mailboxes
    db.session.commit()
    earn_core_over_http(client, people, login)
    assert db.session.scalar(select(func.count()).select_from(CertificateNotice)) == 0
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.notice_failed"))

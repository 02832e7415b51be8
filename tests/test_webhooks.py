"""Webhooks end to end: real changes, a real receiver on loopback, signatures checked with the
standardwebhooks library, bodies checked against the OpenAPI document's `webhooks` section."""
import json
from datetime import timedelta

import jsonschema
import pytest
from sqlalchemy import func, select

from app.certificates.models import Certificate
from app.extensions import db
from app.rights.services import suspend_rights
from app.timestamps import utcnow
from app.webhooks.delivery import run_worker
from app.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from app.webhooks.outbox import announce_rights
from tests.conftest import csrf_token
from tests.factories import certify
from tests.test_lifecycle import smtp  # noqa: F401  (a real SMTP server on loopback)


def work(clock=utcnow):
    """One run of `postready webhooks deliver` (without --watch), at the time `clock` gives."""
    return run_worker(20, 0, False, lambda: False, clock)


def schemas(client) -> dict:
    document = client.get("/api/v1/openapi.json").json
    return {name: hook["post"]["requestBody"]["content"]["application/json"]["schema"]
            for name, hook in document["webhooks"].items()}


def test_a_suspension_is_announced_signed_and_as_documented(app, client, course, people, receiver, secret, login):
    now = utcnow()
    certify(people.employee, now - timedelta(days=10))
    work()
    granted = receiver.of_type("posting_rights.granted")
    assert {r.payload["data"]["right"]["slug"] for r in granted} == {"post-instagram", "reply-comments-reviews"}
    login(people.manager)
    response = client.post(f"/people/{people.employee.id}/rights/suspend", data={
        "right": "post-instagram", "reason": "Posted a photo with a wristband",
        "csrf_token": csrf_token(client, f"/people/{people.employee.id}/rights")})
    assert response.status_code == 302
    work()
    revoked = receiver.of_type("posting_rights.revoked")
    assert len(revoked) == 1
    data = revoked[0].payload["data"]
    assert data["person"]["email"] == people.employee.email and data["right"]["platform"] == "instagram"
    assert data["allowed"] is False and data["reason"]["kind"] == "suspended"
    assert "Posted a photo with a wristband" in data["reason"]["text"]
    # Every delivery verifies with the secret, and has the documented headers and body.
    bodies = receiver.verified(secret)
    documented = schemas(client)
    for body in bodies:
        jsonschema.validate(body, documented[body["type"]])
    assert {b["type"] for b in bodies} >= {"certificate.issued", "posting_rights.granted", "posting_rights.revoked"}
    assert all(r.headers["webhook-id"].startswith("msg_") for r in receiver.received)
    with pytest.raises(Exception, match="No matching signature"):
        from standardwebhooks import Webhook

        Webhook("whsec_" + "A" * 43).verify(receiver.received[0].body, receiver.received[0].headers)


def test_a_revoked_certificate_and_a_deactivation_are_announced(app, client, course, people, receiver, secret,
                                                                 login):
    certify(people.employee, utcnow() - timedelta(days=3), platforms=())
    certify(people.indirect, utcnow() - timedelta(days=3), platforms=())
    work()
    receiver.received.clear()
    login(people.admin)
    certificate = db.session.scalars(select(Certificate).where(Certificate.user_id == people.employee.id)).first()
    response = client.post(f"/certificates/{certificate.id}/revoke", data={
        "reason": "Issued in error", "csrf_token": csrf_token(client, f"/certificates/{certificate.id}")})
    assert response.status_code == 302
    response = client.post(f"/people/{people.indirect.id}/deactivate",
                           data={"csrf_token": csrf_token(client, f"/people/{people.indirect.id}")})
    assert response.status_code == 302
    work()
    by_type = {r.payload["type"]: r.payload["data"] for r in receiver.received}
    assert by_type["certificate.revoked"]["reason"] == "Issued in error"
    assert by_type["certificate.revoked"]["certificate"]["code"] == certificate.code
    assert by_type["person.deactivated"]["person"]["email"] == people.indirect.email
    kinds = {(r.payload["data"]["person"]["email"], r.payload["data"]["reason"]["kind"])
             for r in receiver.of_type("posting_rights.revoked")}
    assert kinds == {(people.employee.email, "certificate_revoked"), (people.indirect.email, "deactivated")}


def test_a_right_that_expires_while_nobody_asks_is_announced_once(app, course, people, receiver, secret):
    issued = utcnow() - timedelta(days=364, hours=23)  # valid for 365 days: expires within the hour
    certify(people.employee, issued, platforms=())
    work()
    receiver.received.clear()
    later = utcnow() + timedelta(hours=2)
    work(lambda: later)  # the worker's sweep: no request was made
    expired = receiver.of_type("certificate.expired")
    revoked = receiver.of_type("posting_rights.revoked")
    assert len(expired) == 1 and len(revoked) == 1  # the core certificate; of the rights, only one it gave
    data = revoked[0].payload["data"]
    assert data["reason"]["kind"] == "certificate_expired"
    assert data["effective_at"] == expired[0].payload["data"]["certificate"]["expires_at"]  # the moment, not the sweep
    work(lambda: later + timedelta(minutes=5))
    assert len(receiver.received) == 2  # each change announced once


def test_retries_after_503s_and_a_timeout_with_the_same_webhook_id(app, cli, course, people, receiver):
    app.config["WEBHOOK_TIMEOUT"] = 0.5
    assert cli("webhooks", "add", receiver.url, "--events", "certificate.issued").exit_code == 0
    receiver.answer(503, ("sleep", 1.5), 503, 204)
    certify(people.employee, utcnow(), platforms=())  # one certificate: core
    clock = [utcnow()]
    for wait in (0, 5, 300, 1800):
        clock[0] += timedelta(seconds=wait + 1)
        work(lambda: clock[0])
    delivery = db.session.get(WebhookDelivery, 1)
    log = [(a.status_code, a.error.split(" after")[0]) for a in delivery.attempt_log]
    assert log == [(503, ""), (None, "Timed out"), (503, ""), (204, "")]
    assert delivery.status == "delivered" and delivery.attempts == 4
    assert len({r.message_id for r in receiver.received}) == 1
    assert delivery.attempt_log[0].response_excerpt.startswith("Service Unavailable")
    assert db.session.get(WebhookEndpoint, delivery.endpoint_id).failing_since is None


def test_a_persons_events_are_delivered_in_order(app, course, people, receiver, secret):
    certify(people.employee, utcnow(), platforms=())
    receiver.answer(503)  # the first event fails once: the later ones wait behind it
    clock = [utcnow()]
    work(lambda: clock[0])
    assert len(receiver.received) == 1
    clock[0] += timedelta(seconds=6)
    work(lambda: clock[0])
    ids = [r.message_id for r in receiver.received]
    order = list(db.session.scalars(select(WebhookEvent.message_id).order_by(WebhookEvent.id)))
    assert ids[0] == ids[1] and list(dict.fromkeys(ids)) == order


def test_410_gone_stops_and_a_day_of_failures_switches_off_and_emails_the_admins(app, course, people, receiver,
                                                                                 secret, smtp):  # noqa: F811 (smtp)
    receiver.answer(410)
    certify(people.employee, utcnow(), platforms=())
    work()
    endpoint = db.session.scalars(select(WebhookEndpoint)).one()
    assert endpoint.state == "disabled" and "410" in endpoint.disabled_reason
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)
                             .where(WebhookDelivery.status == "gone")) == 1
    assert len(receiver.received) == 1  # nothing more is sent
    assert [to for to, _ in smtp.messages] == [[people.admin.email]]


def test_an_endpoint_failing_for_a_day_is_switched_off(app, cli, course, people, receiver, secret, smtp):  # noqa: F811 (smtp)
    receiver.answer(*[500] * 20)
    certify(people.employee, utcnow(), platforms=())
    clock = [utcnow()]
    for step in (0, 6, 301, 1801, 7201, 18001, 36001, 36001):
        clock[0] += timedelta(seconds=step)
        work(lambda: clock[0])
    endpoint = db.session.scalars(select(WebhookEndpoint)).one()
    assert endpoint.state == "disabled" and "a day or more" in endpoint.disabled_reason
    assert "Webhook endpoint switched off" in smtp.messages[0][1]
    waiting = len(receiver.received)
    receiver.script.clear()
    assert cli("webhooks", "resume", str(endpoint.id)).exit_code == 0
    work(lambda: clock[0] + timedelta(days=1))  # resumed: what waited is sent
    assert len(receiver.received) > waiting and receiver.received[-1].payload["type"] == "posting_rights.granted"


def test_an_endpoint_on_loopback_is_refused_without_the_setting(app, cli, course, people, receiver):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    for url, why in [("https://127.0.0.1/hooks", "a loopback address"), ("https://localhost:8443/x", "loopback"),
                     ("https://10.1.2.3/x", "a private or reserved address"),
                     ("https://169.254.169.254/latest", "a link-local address"),
                     (receiver.url, "must start with https://")]:
        result = cli("webhooks", "add", url)
        assert result.exit_code == 1 and why in result.output, (url, result.output)
    assert db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0
    # Added while allowed, then the setting is turned off: checked again at delivery (DNS rebinding).
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    tls_url = receiver.url.replace("http://127.0.0.1", "https://localhost")
    assert cli("webhooks", "add", tls_url).exit_code == 0
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    certify(people.employee, utcnow(), platforms=())
    work()
    assert receiver.received == []
    attempt = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).first().attempt_log[0]
    assert attempt.status_code is None and "Refused: localhost resolves to" in attempt.error
    assert "a loopback address" in attempt.error


def test_nothing_is_announced_for_a_change_that_did_not_commit(app, course, people, receiver, secret):
    certify(people.employee, utcnow(), platforms=())
    before = db.session.scalar(select(func.count()).select_from(WebhookEvent))
    suspend_rights(people.manager, people.employee, None, "A change that is rolled back", utcnow())
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == before
    assert announce_rights([people.employee.id], utcnow()) == 0  # nothing changed, nothing new to say


def test_event_bodies_are_stored_exactly_as_sent(app, course, people, receiver, secret):
    certify(people.employee, utcnow(), platforms=())
    work()
    stored = {e.message_id: e.body for e in db.session.scalars(select(WebhookEvent))}
    assert all(stored[r.message_id] == r.body for r in receiver.received)
    assert json.loads(receiver.received[0].body)["timestamp"].endswith("Z")


def test_the_worker_command_can_be_run_as_if_time_had_moved_on(app, cli, course, people, receiver, secret):
    certify(people.employee, utcnow(), platforms=())
    assert "2 delivered" in cli("webhooks", "deliver").output
    result = cli("webhooks", "deliver", "--now", (utcnow() + timedelta(days=366)).isoformat())
    assert result.exit_code == 0 and "2 event(s) announced by the sweep; 2 delivered" in result.output
    assert [r.payload["type"] for r in receiver.received[2:]] == ["certificate.expired", "posting_rights.revoked"]
    assert "use ISO 8601" in cli("webhooks", "deliver", "--now", "next tuesday").output


def test_the_hr_import_announces_who_it_deactivates(app, cli, course, people, receiver, secret, tmp_path):
    certify(people.employee, utcnow(), platforms=())
    work()
    receiver.received.clear()
    csv_file = tmp_path / "hr.csv"
    csv_file.write_text("email,full_name,role,status,department,manager_email\n"
                        "eli@test-health.example,Eli Employee,employee,terminated,Nursing,mona@test-health.example\n",
                        encoding="utf-8")
    result = cli("staff", "import", str(csv_file))
    assert result.exit_code == 0, result.output
    work()
    types = [r.payload["type"] for r in receiver.received]
    assert types[0] == "person.deactivated" and "posting_rights.revoked" in types

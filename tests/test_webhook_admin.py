"""The admin's webhooks page and commands: add, test, pause, resume, rotate, replay, delete."""
import re
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import func, select
from standardwebhooks import Webhook

from app.extensions import db
from app.timestamps import utcnow
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.conftest import csrf_token
from tests.factories import certify
from tests.test_webhooks import work


def shown_secret(html: str) -> str:
    return re.search(r'id="new-secret">(whsec_[^<]+)<', html).group(1)


def test_an_admin_adds_an_endpoint_and_sends_a_test(app, client, people, receiver, login):
    login(people.admin)
    token = csrf_token(client, "/admin/webhooks")
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    refused = client.post("/admin/webhooks", data={"url": receiver.url, "csrf_token": token})
    assert refused.status_code == 400 and "must start with https://" in refused.text
    assert db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    added = client.post("/admin/webhooks", data={"url": receiver.url, "description": "Sprout Social",
                                                 "events": ["posting_rights.revoked", "person.deactivated"],
                                                 "csrf_token": token})
    assert added.status_code == 200 and added.headers["Cache-Control"] == "no-store"
    secret = shown_secret(added.text)
    endpoint = db.session.scalars(select(WebhookEndpoint)).one()
    assert endpoint.types == ["posting_rights.revoked", "person.deactivated"]
    listing = client.get("/admin/webhooks").text
    assert "Sprout Social" in listing and secret not in listing  # shown once only
    tested = client.post(f"/admin/webhooks/{endpoint.id}/test", data={"csrf_token": token}, follow_redirects=True)
    assert "Test delivered: the endpoint answered 204" in tested.text
    ping = Webhook(secret).verify(receiver.received[0].body, receiver.received[0].headers)
    assert ping["type"] == "ping" and "Ada Admin" in ping["data"]["message"]
    assert "HTTP 204" in tested.text and receiver.received[0].message_id in tested.text  # the log


def test_a_failed_test_says_why(app, client, people, receiver, secret, login):
    receiver.answer(500)
    login(people.admin)
    endpoint = db.session.scalars(select(WebhookEndpoint)).one()
    token = csrf_token(client, "/admin/webhooks")
    page = client.post(f"/admin/webhooks/{endpoint.id}/test", data={"csrf_token": token}, follow_redirects=True).text
    assert "Test not delivered: answered 500" in page and "Service Unavailable" in page


def test_pause_holds_events_and_resume_sends_them(app, client, cli, course, people, receiver, secret,
                                                  login):
    login(people.admin)
    token = csrf_token(client, "/admin/webhooks")
    endpoint = db.session.scalars(select(WebhookEndpoint)).one()
    client.post(f"/admin/webhooks/{endpoint.id}/pause", data={"csrf_token": token})
    certify(people.employee, utcnow(), platforms=())
    work()
    assert receiver.received == [] and "Paused since" in client.get(f"/admin/webhooks/{endpoint.id}").text
    client.post(f"/admin/webhooks/{endpoint.id}/resume", data={"csrf_token": token})
    work()
    assert [r.payload["type"] for r in receiver.received] == ["certificate.issued", "posting_rights.granted"]


def test_rotation_signs_with_both_secrets_for_a_day(app, client, course, people, receiver, secret,
                                                    login):
    login(people.admin)
    endpoint = db.session.scalars(select(WebhookEndpoint)).one()
    token = csrf_token(client, "/admin/webhooks")
    page = client.post(f"/admin/webhooks/{endpoint.id}/rotate", data={"csrf_token": token})
    new = shown_secret(page.text)
    assert new != secret and "two signatures" in page.text
    certify(people.employee, utcnow(), platforms=())
    work()
    assert receiver.verified(secret) == receiver.verified(new)  # both verify
    assert all(len(r.headers["webhook-signature"].split()) == 2 for r in receiver.received)


def test_replay_sends_the_same_message_again(app, client, course, people, receiver, secret, login):
    certify(people.employee, utcnow(), platforms=())
    work()
    first = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).first()
    login(people.admin)
    token = csrf_token(client, "/admin/webhooks")
    page = client.post(f"/admin/webhooks/deliveries/{first.id}/replay", data={"csrf_token": token},
                       follow_redirects=True).text
    assert "same webhook-id" in page
    work()
    assert receiver.received[-1].message_id == receiver.received[0].message_id
    assert receiver.received[-1].body == receiver.received[0].body


def test_the_commands_list_rotate_and_refuse_what_they_cannot_do(app, cli, receiver, secret):
    listing = cli("webhooks", "list").output
    assert "active" in listing and receiver.url in listing and "Test tool" in listing
    rotated = cli("webhooks", "rotate", "1")
    assert rotated.exit_code == 0 and rotated.output.strip().splitlines()[-1].startswith("whsec_")
    assert "No webhook endpoint with id 99" in cli("webhooks", "rotate", "99").output
    unknown = cli("webhooks", "add", receiver.url, "--events", "posting_rights.changed")
    assert unknown.exit_code == 1 and "Unknown event type posting_rights.changed" in unknown.output
    assert cli("webhooks", "delete", "1").exit_code == 0
    assert "No webhook endpoints" in cli("webhooks", "list").output


def test_a_manager_cannot_see_or_change_webhooks(app, client, people, receiver, secret, login):
    login(people.manager)
    assert client.get("/admin/webhooks").status_code == 403
    assert client.post("/admin/webhooks/1/delete", data={"csrf_token": csrf_token(client, "/")}).status_code == 403
    assert db.session.get(WebhookEndpoint, 1).deleted_at is None


def test_secrets_are_sealed_at_rest(app, cli, course, people, receiver, secret, tmp_path):
    endpoint = db.session.scalars(select(WebhookEndpoint)).one()
    assert secret not in endpoint.secret and not endpoint.secret.startswith("whsec_")  # a copy of the database
    key_file = Path(app.instance_path) / "webhook_secrets.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    certify(people.employee, utcnow(), platforms=())
    work()
    assert receiver.verified(secret)  # signed with the secret behind the seal
    app.extensions.pop("webhook_secrets")
    app.config["WEBHOOK_SECRETS_KEY"] = Fernet.generate_key().decode()  # another key: nothing can be signed
    receiver.received.clear()
    certify(people.indirect, utcnow(), platforms=())
    work()
    assert receiver.received == []
    attempt = db.session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id.desc())).first()
    assert "cannot be read" in attempt.error and "rotate it" in attempt.error

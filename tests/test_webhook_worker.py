"""The delivery worker as a process: killed mid-delivery, the message is sent again with the same
webhook-id; SIGTERM stops it cleanly; two workers never send one delivery at once."""
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from app.extensions import db
from app.timestamps import utcnow
from app.webhooks.delivery import claim
from app.webhooks.models import AnnouncedRight, WebhookDelivery, WebhookEvent
from app.webhooks.outbox import sweep
from tests.conftest import FIXTURE_COURSES, another_app
from tests.factories import certify
from tests.test_webhooks import work

ROOT = Path(__file__).parent.parent


def start_worker(database_url: str, timeout: int = 20) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "webhook-worker-test-secret-1234567",
           "COURSES_DIR": str(FIXTURE_COURSES), "WEBHOOK_ALLOW_PRIVATE": "on", "WEBHOOK_TIMEOUT": str(timeout)}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "webhooks", "deliver", "--watch",
                             "--interval", "0.1"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while not condition() and time.time() < deadline:
        time.sleep(0.1)
    assert condition()


def test_a_worker_killed_mid_delivery_leaves_it_to_be_sent_again_with_the_same_id(
        app, database_url, course, people, receiver, secret):
    hold = threading.Event()
    receiver.answer(("wait", hold))  # the first request hangs: the worker is inside the delivery
    certify(people.employee, utcnow(), platforms=())
    db.session.commit()
    worker = start_worker(database_url)
    try:
        wait_for(receiver.arrived.is_set)
        worker.kill()  # SIGKILL: no chance to record anything
        worker.wait(30)
    finally:
        hold.set()
        if worker.poll() is None:
            worker.kill()
    first = receiver.received[0].message_id
    delivery = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.status == "pending")
                                  .order_by(WebhookDelivery.id)).first()
    assert delivery.leased_until is not None and delivery.attempts == 0
    work(lambda: utcnow() + timedelta(seconds=1))
    assert len(receiver.received) == 1  # still leased to the dead worker: nobody sends it twice at once
    work(lambda: utcnow() + timedelta(minutes=2))  # the lease has run out
    assert receiver.received[1].message_id == first
    db.session.refresh(delivery)
    assert delivery.status == "delivered"
    receiver.verified(secret)


def test_sigterm_stops_the_watching_worker_cleanly(app, database_url, course, people, receiver, secret):
    worker = start_worker(database_url, timeout=5)
    try:
        certify(people.employee, utcnow(), platforms=())  # while the worker is already watching
        db.session.commit()
        wait_for(lambda: len(receiver.received) >= 2)
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert "2 delivered" in out
    assert {r.payload["type"] for r in receiver.received} == {"certificate.issued", "posting_rights.granted"}


def test_two_workers_never_claim_the_same_delivery(app, database_url, tmp_path, course, people, receiver,
                                                   secret):
    certify(people.employee, utcnow(), platforms=())
    certify(people.other_employee, utcnow(), platforms=())
    db.session.commit()
    second = another_app(database_url, tmp_path)
    now = utcnow()
    mine = claim(now, 20)
    with second.app_context():
        theirs = claim(now, 20)
        db.session.remove()
    # One delivery per person can be in flight (their order), and each is claimed by one worker only.
    assert len(mine) == 2 and theirs == []
    with second.app_context():
        later = claim(now + timedelta(minutes=5), 20)
        db.session.remove()
    assert sorted(later) == sorted(mine)  # the leases ran out: claimable again, the same ones first


def test_two_sweeps_at_once_announce_an_expiry_once(app, database_url, tmp_path, course, people, receiver, secret):
    certify(people.employee, utcnow() - timedelta(days=366), platforms=())  # expired yesterday
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AnnouncedRight).where(AnnouncedRight.allowed)) == 1
    db.session.commit()  # hold no transaction (on SQLite it would hold the write lock)
    workers = [another_app(database_url, tmp_path) for _ in range(2)]
    barrier, errors = threading.Barrier(2, timeout=30), []

    def sweep_in(worker_app):
        with worker_app.app_context():
            try:
                barrier.wait()
                sweep(utcnow())
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported by the test
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sweep_in, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    types = list(db.session.scalars(select(WebhookEvent.type)
                                    .where(WebhookEvent.occurred_at > utcnow() - timedelta(days=2))))
    assert sorted(types) == ["certificate.expired", "posting_rights.revoked"]

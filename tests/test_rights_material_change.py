"""A material course change: the certificate stands, but a right waits for the retake once it is overdue."""
from datetime import timedelta

from app.assignments.services import assign_material_change
from app.extensions import db
from app.rights.services import rights_of
from app.timestamps import utcnow
from app.webhooks.delivery import run_worker
from tests.factories import certify, pass_module, require
from tests.test_lifecycle import _publish_changed_course


def test_an_overdue_retake_holds_back_the_right_until_it_is_done(app, course, people, tmp_path, receiver, secret):
    now = utcnow()
    require(people.employee, at=now - timedelta(days=101))
    certify(people.employee, now - timedelta(days=100), platforms=())
    version = _publish_changed_course(tmp_path, "material")  # the privacy module changed
    assert assign_material_change(version, now - timedelta(days=31)) == 1  # due yesterday
    db.session.commit()
    (reply,) = [d for d in rights_of(people.employee, now) if d.slug == "reply-comments-reviews"]
    assert not reply.allowed and reply.kind == "material_change"
    assert "course changed" in reply.reason and "retaken by" in reply.reason
    assert rights_of(people.employee, now - timedelta(days=2))[1].allowed  # before the due date it stood
    run_worker(20, 0, False, lambda: False)  # the sweep announces it
    revoked = [r.payload["data"] for r in receiver.of_type("posting_rights.revoked")]
    assert [d["reason"]["kind"] for d in revoked] == ["material_change"]
    pass_module(people.employee, "privacy", now)  # the retake
    assert [d for d in rights_of(people.employee, utcnow()) if d.slug == "reply-comments-reviews"][0].allowed
    run_worker(20, 0, False, lambda: False)
    assert receiver.of_type("posting_rights.granted")[-1].payload["data"]["reason"]["kind"] == "certified"

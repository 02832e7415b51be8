"""Many people at once: nothing lost, nothing duplicated, no "database is locked"."""
import threading

from sqlalchemy import func, select

from app.accounts.models import User
from app.audit.services import verify_chain
from app.certificates.models import Certificate
from app.courses.models import ModuleCompletion
from app.courses.services import current_module, record_lesson_view
from app.database import utcnow
from app.extensions import db
from app.quizzes.models import Submission
from app.quizzes.services import start_attempt, submit_attempt
from tests.conftest import another_app
from tests.factories import make_user

PEOPLE = 25  # two threads each: 50 at once


def pass_in_thread(app, user_id: int, module_slug: str, barrier: threading.Barrier, errors: list):
    with app.app_context():
        try:
            user = db.session.get(User, user_id)
            module = current_module("test-course", module_slug)
            for lesson in module.lessons:
                record_lesson_view(user, lesson)
            db.session.commit()
            barrier.wait()
            attempt = start_attempt(user, module, utcnow())
            db.session.commit()
            answers = {aq.question_id: [o.id for o in aq.question.options if o.is_correct]
                       for aq in attempt.questions}
            submit_attempt(user, attempt, answers, utcnow())
            db.session.commit()
        except Exception as exc:  # noqa: BLE001 - every failure is reported by the test
            db.session.rollback()
            errors.append(f"{module_slug} for {user_id}: {exc!r}")
        finally:
            db.session.remove()


def test_fifty_threads_submit_and_certify(database_url, tmp_path, app, course):
    ids = [make_user().id for _ in range(PEOPLE)]
    db.session.commit()  # and hold no transaction (on SQLite it would hold the write lock)
    # Like a threaded server sized for 50 concurrent requests: one pooled connection each.
    app = another_app(database_url, tmp_path, DB_POOL_SIZE=PEOPLE * 2)
    barrier = threading.Barrier(PEOPLE * 2, timeout=60)
    errors: list[str] = []
    threads = [threading.Thread(target=pass_in_thread, args=(app, uid, slug, barrier, errors))
               for uid in ids for slug in ("privacy", "replies")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    db.session.expire_all()
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    assert count(Submission) == PEOPLE * 2
    assert count(ModuleCompletion) == PEOPLE * 2
    # Both modules finished at the same moment for each person: exactly one core certificate each.
    per_person = db.session.execute(
        select(Certificate.user_id, func.count()).where(Certificate.certification_slug == "core")
        .group_by(Certificate.user_id)).all()
    assert sorted(per_person) == sorted((uid, 1) for uid in ids)
    assert verify_chain().ok

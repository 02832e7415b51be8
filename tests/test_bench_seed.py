"""The benchmark's quiz pools mean what its report says: a "cert" attempt earns a certificate,
a "nocert" attempt earns none, in whatever order the benchmark happens to submit them."""
from collections import defaultdict

from app import create_app
from app.accounts.models import User
from app.extensions import db
from app.quizzes.models import Attempt
from app.quizzes.services import submit_attempt
from app.timestamps import utcnow
from bench.seed import seed


def submit(attempt) -> list[str]:
    """Submit one pooled attempt with its right answers; the certifications it earned."""
    user = db.session.get(User, attempt.user_id)
    submission = submit_attempt(user, db.session.get(Attempt, attempt.attempt_id), dict(attempt.correct), utcnow())
    earned = [c.certification_slug for c in submission.issued_certificates]
    db.session.commit()
    return earned


def test_every_pooled_attempt_earns_what_its_pool_says_in_either_order(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'bench.sqlite3'}",
                      "SECRET_KEY": "bench-seed-test-secret-key-0123456789"})
    pools = seed(app, 200, pool_share=0.95, cert_share=0.35, log=lambda *_: None).open_attempts
    by_person = defaultdict(list)
    for attempt in pools["cert"] + pools["nocert"]:
        by_person[attempt.user_id].append(attempt)
    assert len(pools["cert"]) + len(pools["nocert"]) > 2 * len(by_person)  # about 2.5 a person
    several = {pool: [attempts for attempts in by_person.values() if len(attempts) > 1 and attempts[0].pool == pool]
               for pool in ("cert", "nocert")}
    with app.app_context():
        for n, attempts in enumerate(several["cert"][:12] + several["nocert"][:12]):
            # Half the people submit in the seed's order, half in reverse: the last core module
            # before or after a platform module.
            for attempt in attempts if n % 2 else reversed(attempts):
                earned = submit(attempt)
                if attempt.pool == "cert":
                    expected = "core" if attempt.module_slug == "workflow" else attempt.module_slug
                    assert earned == [expected], (attempt.module_slug, earned)
                else:
                    assert earned == [], (attempt.module_slug, earned)

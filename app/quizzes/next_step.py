"""What a result page offers next, so no result is a dead end: re-read, retry at a time, the next
module, or the certificate this pass completed with the rights it grants."""
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from app.certificates.models import Certificate
from app.courses.models import Lesson, Module
from app.courses.overview import course_overview
from app.extensions import db
from app.quizzes.models import Attempt
from app.quizzes.rereading import lessons_to_reread
from app.quizzes.services import open_attempt, retake_decision
from app.rights.services import policy, rights_of


@dataclass(frozen=True)
class NextStep:
    reread: list[Lesson] = field(default_factory=list)  # after a fail: what the retake waits for
    retry_at: datetime | None = None                      # after a fail: when the retake opens
    retry_reason: str = ""
    can_retry_now: bool = False
    resume: Attempt | None = None                         # an attempt already open on this module
    earned: list[Certificate] = field(default_factory=list)  # after a pass: certificates it completed
    rights: list[str] = field(default_factory=list)          # titles of the rights those grant now
    next_module: Module | None = None                        # after a pass: what to take next
    all_done: bool = False


def next_step(attempt: Attempt, now: datetime) -> NextStep:
    """The next action for the person who took `attempt` (the result page shows it to them only)."""
    user, module = attempt.user, attempt.module
    if not attempt.submission.passed:
        decision = retake_decision(user, module, now)
        reread = lessons_to_reread(user, module)
        return NextStep(reread=reread, retry_at=None if decision.allowed else decision.next_allowed_at,
                        retry_reason="" if decision.allowed else decision.reason,
                        can_retry_now=decision.allowed and not reread, resume=open_attempt(user, module))
    earned = list(db.session.scalars(select(Certificate).where(
        Certificate.user_id == user.id, Certificate.issued_at == attempt.submission.submitted_at)
        .order_by(Certificate.id)))
    slugs = {c.certification_slug for c in earned}
    needs = {rule.slug: set(rule.requires) for rule in policy().rights}
    rights = [d.title for d in rights_of(user, now) if d.allowed and needs.get(d.slug, set()) & slugs]
    overview = course_overview(user, module.course_version)
    index = overview.progress.next_module_index
    return NextStep(earned=earned, rights=rights,
                    next_module=overview.modules[index].module if index is not None else None,
                    all_done=index is None)

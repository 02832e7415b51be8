"""Quiz services: start an attempt, submit it. They take the acting user and "now" explicitly."""
import random
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.audit.services import record
from app.certificates.issuing import (CompletedModule, IssuingPlan, issue_earned_certificates, plan_certificates,
                                       plan_still_holds)
from app.courses.models import CourseVersion, Module, ModuleCompletion, Question, QuestionOption
from app.courses.services import viewed_lesson_ids
from app.database import PlainStatement, insert_ignoring_conflicts
from app.extensions import db
from app.quizzes import rules
from app.quizzes.models import Answer, Attempt, AttemptQuestion, Submission


class QuizError(Exception):
    """A request the quiz rules refuse; the message is shown to the person."""


class QuizLocked(QuizError):
    pass


class AttemptNotAllowed(QuizError):
    def __init__(self, decision: rules.RetakeDecision):
        super().__init__(decision.reason)
        self.decision = decision


class AlreadySubmitted(QuizError):
    def __init__(self):
        super().__init__("This attempt was already submitted; its answers cannot be changed.")


class NotYourAttempt(QuizError):
    pass


_system_random = random.SystemRandom()


def open_attempt(user, module: Module) -> Attempt | None:
    """The person's started, unsubmitted attempt on this module, if any."""
    return db.session.scalar(
        select(Attempt).outerjoin(Submission)
        .where(Attempt.user_id == user.id, Attempt.module_id == module.id, Submission.attempt_id.is_(None))
        .order_by(Attempt.id.desc()).limit(1)
    )


def retake_decision(user, module: Module, now: datetime) -> rules.RetakeDecision:
    version = module.course_version
    policy = rules.RetakePolicy(version.max_attempts_per_day, version.cooldown_minutes)
    recent = list(db.session.scalars(
        select(Attempt.started_at).join(Module)
        .where(Attempt.user_id == user.id, Module.slug == module.slug,
               Module.course_version_id == module.course_version_id,
               Attempt.started_at > now - timedelta(days=1))
    ))
    last = db.session.execute(
        select(Submission.submitted_at, Submission.passed).join(Attempt).join(Module)
        .where(Attempt.user_id == user.id, Module.slug == module.slug,
               Module.course_version_id == module.course_version_id)
        .order_by(Submission.submitted_at.desc()).limit(1)
    ).first()
    last_failed_at = last.submitted_at if last and not last.passed else None
    return rules.may_start_attempt(policy, now, recent, last_failed_at)


def start_attempt(user, module: Module, now: datetime, rng: random.Random | None = None) -> Attempt:
    """Draw questions for a new attempt (or return the one already open). Caller commits."""
    lesson_ids = [lesson.id for lesson in module.lessons]
    if not set(lesson_ids) <= viewed_lesson_ids(user, module):
        raise QuizLocked("Read every lesson in this module first; then the quiz opens.")
    existing = open_attempt(user, module)
    if existing:
        return existing
    decision = retake_decision(user, module, now)
    if not decision.allowed:
        raise AttemptNotAllowed(decision)
    rng = rng or _system_random
    times_seen = dict(db.session.execute(
        select(AttemptQuestion.question_id, func.count())
        .join(Attempt).where(Attempt.user_id == user.id, Attempt.module_id == module.id)
        .group_by(AttemptQuestion.question_id)
    ).all())
    questions = {q.id: q for q in db.session.scalars(
        select(Question).where(Question.module_id == module.id).options(selectinload(Question.options))
    )}
    drawn = rules.draw_questions(sorted(questions), module.draw_count, times_seen, rng)
    attempt = Attempt(user_id=user.id, module_id=module.id, started_at=now)
    db.session.add(attempt)
    for position, question_id in enumerate(drawn, start=1):
        option_ids = [o.id for o in questions[question_id].options]
        db.session.add(AttemptQuestion(
            attempt=attempt, question_id=question_id, position=position,
            option_order=rules.shuffle_options(option_ids, rng),
        ))
    db.session.flush()
    return attempt


@dataclass(frozen=True)
class ModuleKey:
    """What grading a module's quiz needs: its answer key, pass mark and identity."""

    slug: str
    title: str
    course_version_id: int
    course_id: int
    version_label: str
    pass_mark: int
    questions: dict[int, rules.QuestionKey]


def module_key(module_id: int) -> ModuleKey:
    """A module's answer key. Course content rows never change (a new version gets new rows), so
    each module's key is read once per process instead of on every submission."""
    cache = current_app.extensions.setdefault("postready.module_keys", {})
    key = cache.get(module_id)
    if key is None:
        slug, title, version_id, course_id, label, pass_mark = db.session.execute(
            select(Module.slug, Module.title, Module.course_version_id, CourseVersion.course_id,
                   CourseVersion.version_label, CourseVersion.pass_mark)
            .join(CourseVersion, Module.course_version_id == CourseVersion.id).where(Module.id == module_id)
        ).one()
        options: dict[int, list[tuple[int, bool]]] = {}
        for question_id, option_id, correct in db.session.execute(
            select(QuestionOption.question_id, QuestionOption.id, QuestionOption.is_correct)
            .join(Question, QuestionOption.question_id == Question.id).where(Question.module_id == module_id)
        ):
            options.setdefault(question_id, []).append((option_id, correct))
        key = ModuleKey(slug, title, version_id, course_id, label, pass_mark, {
            q: rules.QuestionKey(q, frozenset(o for o, _ in opts), frozenset(o for o, ok in opts if ok))
            for q, opts in options.items()
        })
        cache[module_id] = key
    return key


# The questions an attempt drew, in order: (question id, attempt_questions.id). Plain rows: grading
# needs no more, and loading them as objects (each with its option order) cost a tenth of a submission.
_DRAWN = PlainStatement(select(AttemptQuestion.question_id, AttemptQuestion.id)
                        .where(AttemptQuestion.attempt_id == bindparam("attempt_id")).order_by(AttemptQuestion.position))


def drawn_questions(attempt_id: int) -> list[tuple[int, int]]:
    return _DRAWN.rows(db.session, {"attempt_id": attempt_id})


@dataclass(frozen=True)
class AttemptToSubmit:
    """What submitting needs of an attempt, read as one plain row: no ORM objects on the path
    nearly every quiz POST takes (the owner submitting an open attempt)."""

    id: int
    user_id: int
    module_id: int
    submitted: bool


_TO_SUBMIT = PlainStatement(
    select(Attempt.id, Attempt.user_id, Attempt.module_id, Submission.attempt_id)
    .outerjoin(Submission, Submission.attempt_id == Attempt.id).where(Attempt.id == bindparam("attempt_id")))


def attempt_to_submit(attempt_id: int) -> AttemptToSubmit | None:
    rows = _TO_SUBMIT.rows(db.session, {"attempt_id": attempt_id})
    if not rows:
        return None
    found, user_id, module_id, submission = rows[0]
    return AttemptToSubmit(found, user_id, module_id, submission is not None)


@dataclass(frozen=True)
class GradedAttempt:
    """A checked and graded submission, not yet stored: the read half of submitting."""

    attempt_id: int
    user_id: int
    module_id: int
    module: ModuleKey
    chosen: dict[int, frozenset[int]]
    result: rules.GradeResult
    attempt_question_ids: dict[int, int]  # question id -> attempt_questions.id
    submitted_at: datetime
    certificates: IssuingPlan | None  # what a pass earns, if store_submission finds it still holds


def grade_attempt(user, attempt: Attempt | AttemptToSubmit, answers: Mapping[int, Collection[int]],
                  now: datetime) -> GradedAttempt:
    """Check that the person may submit this attempt at `now` and grade it; nothing is written.

    Raises QuizError (or rules.InvalidAnswers) when the submission is refused. Everything read
    here is immutable (the drawn questions, the answer key) except "not yet submitted", which
    store_submission's unique constraint decides again under the write lock, and what a pass
    earns, which it trusts only while the person's records are unchanged.
    """
    if attempt.user_id != user.id:
        raise NotYourAttempt("This attempt belongs to someone else.")
    if attempt.submitted:
        raise AlreadySubmitted()
    module = module_key(attempt.module_id)
    drawn = drawn_questions(attempt.id)
    keys = [module.questions[question_id] for question_id, _ in drawn]
    chosen = rules.validate_answers(keys, answers)
    result = rules.grade(keys, chosen, module.pass_mark)
    passing = CompletedModule(module.slug, module.title, now, module.version_label)
    return GradedAttempt(
        attempt_id=attempt.id, user_id=user.id, module_id=attempt.module_id, module=module, chosen=chosen,
        result=result, attempt_question_ids=dict(drawn), submitted_at=now,
        certificates=plan_certificates(user, now, passing, module.course_id) if result.passed else None,
    )


# Built once, run on the driver (under the write lock, SQLAlchemy's execution cost more than SQLite's).
_ANSWERS = PlainStatement(insert(Answer.__table__), ("attempt_id", "attempt_question_id", "option_id"))
_COMPLETION = PlainStatement(insert(ModuleCompletion.__table__),
                             ("user_id", "module_id", "course_version_id", "attempt_id", "completed_at"))


def store_submission(user, graded: GradedAttempt) -> Submission:
    """Store a graded submission with its answers, and the completion if passed. Caller commits.

    Certificates the pass earned are issued too, and listed in `submission.issued_certificates`
    (not stored on the row): the caller renders their PDFs after committing. Raises
    AlreadySubmitted, and stores nothing, if the attempt was submitted meanwhile.
    """
    lock_person(user.id)
    result, module, now = graded.result, graded.module, graded.submitted_at
    # Asked before this transaction adds a completion (which changes the person's records): if
    # nothing changed since grading, what the pass earns was decided then, and only the inserts
    # hold the lock. Otherwise (a second tab's pass, a revocation) it is decided again, here.
    plan = graded.certificates if result.passed and plan_still_holds(user, graded.certificates) else None
    row = dict(attempt_id=graded.attempt_id, submitted_at=now, correct_count=result.correct_count,
               question_count=result.question_count, score_percent=result.score_percent,
               pass_mark=result.pass_mark, passed=result.passed)
    # Plain statements, not the ORM's unit of work: these rows are never read back as objects
    # here, and everything from this point on holds the write lock (SQLite) or the person's row.
    # The attempt id is the submission's key, so a concurrent double submission inserts nothing
    # and fails alone, before anything else is written.
    if not insert_ignoring_conflicts(db.session, Submission, [row], ["attempt_id"]):
        raise AlreadySubmitted()
    submission = Submission(**row)  # what was stored, for the caller (not added to the session)
    _ANSWERS.run_many(db.session, [  # one executemany, not a statement per answer
        {"attempt_id": graded.attempt_id, "attempt_question_id": graded.attempt_question_ids[question_id],
         "option_id": option_id}
        for question_id, option_ids in graded.chosen.items() for option_id in sorted(option_ids)
    ])
    record("attempt.submitted", actor=user, subject_type="attempt", subject_id=graded.attempt_id, at=now,
           details={"module": module.slug, "score": result.score_percent, "passed": result.passed})
    if result.passed:
        _COMPLETION.rows(db.session, dict(
            user_id=user.id, module_id=graded.module_id, course_version_id=module.course_version_id,
            attempt_id=graded.attempt_id, completed_at=now,
        ))
        submission.issued_certificates = issue_earned_certificates(user, now, passed_module=module.slug, plan=plan)
    db.session.flush()
    return submission


def submit_attempt(user, attempt: Attempt, answers: Mapping[int, Collection[int]], now: datetime) -> Submission:
    """Grade and store a submission (grade_attempt, then store_submission). Caller commits.

    `answers` maps question id to chosen option ids. Raises QuizError (or
    rules.InvalidAnswers) and stores nothing when the submission is refused.
    """
    graded = grade_attempt(user, attempt, answers, now)
    try:
        return store_submission(user, graded)
    except AlreadySubmitted:
        db.session.expire(attempt)
        raise


def lock_person(user_id: int) -> None:
    """One submission per person at a time: two modules passed at the same moment must both be
    seen by whichever submission decides the certificate. SQLite's write transactions (BEGIN
    IMMEDIATE) already run one at a time; PostgreSQL takes a row lock."""
    if db.session.get_bind().dialect.name != "sqlite":
        db.session.execute(select(User.id).where(User.id == user_id).with_for_update())


def latest_completion(user, module: Module) -> ModuleCompletion | None:
    """The person's newest completion of this module (by slug, in any version of the course)."""
    return db.session.scalar(
        select(ModuleCompletion).join(Module, ModuleCompletion.module_id == Module.id)
        .where(ModuleCompletion.user_id == user.id, Module.slug == module.slug,
               Module.course_version.has(course_id=module.course_version.course_id))
        .order_by(ModuleCompletion.completed_at.desc()).limit(1)
    )



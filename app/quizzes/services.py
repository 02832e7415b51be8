"""Quiz services: start an attempt, submit it. They take the acting user and "now" explicitly."""
import random
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.audit.services import record
from app.certificates.issuing import issue_earned_certificates
from app.courses.models import CourseVersion, Module, ModuleCompletion, Question
from app.courses.services import viewed_lesson_ids
from app.extensions import db
from app.quizzes import rules
from app.quizzes.models import Answer, Attempt, AttemptQuestion, Submission
from app.quizzes.rereading import lessons_to_reread
from app.unique_rows import add_once


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


class QuizChanged(QuizError):
    def __init__(self):
        super().__init__("This quiz changed while your attempt was open, so this attempt cannot count. "
                         "Start the quiz again: your place in the course is kept.")


def quiz_changed_since(module: Module) -> bool:
    """Was this module's content changed materially by a course version loaded after the module's own?"""
    newer = list(db.session.execute(
        select(CourseVersion.id, Module.content_hash)
        .outerjoin(Module, (Module.course_version_id == CourseVersion.id) & (Module.slug == module.slug))
        .where(CourseVersion.course_id == module.course_version.course_id,
               CourseVersion.id > module.course_version_id, CourseVersion.change_kind == "material")))
    return any(content_hash != module.content_hash for _version, content_hash in newer)  # None: module dropped


def failed_since(user, module: Module, since: datetime, attempt_id: int) -> bool:
    """Did another attempt at this module fail after `since` (an attempt open in parallel)?"""
    return db.session.scalar(
        select(Submission.attempt_id).join(Attempt)
        .where(Attempt.user_id == user.id, Attempt.module_id == module.id, Attempt.id != attempt_id,
               Submission.passed.is_(False), Submission.submitted_at >= since).limit(1)) is not None


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
    """Draw questions for a new attempt (or return the one already open). Caller commits.

    The person is locked first, as a submission does, so parallel starts see each other: one open
    attempt per person and module, and the daily limit holds however many requests arrive at once."""
    lesson_ids = [lesson.id for lesson in module.lessons]
    if not set(lesson_ids) <= viewed_lesson_ids(user, module):
        raise QuizLocked("Read every lesson in this module first; then the quiz opens.")
    lock_person(user.id)
    existing = open_attempt(user, module)
    if existing:
        return existing
    decision = retake_decision(user, module, now)
    if not decision.allowed:
        raise AttemptNotAllowed(decision)
    reread = lessons_to_reread(user, module)
    if reread:
        raise QuizLocked("Before you try again, read again what your last attempt missed: "
                         + "; ".join(lesson.title for lesson in reread) + ".")
    rng = rng or _system_random
    times_seen = dict(db.session.execute(
        select(AttemptQuestion.question_id, func.count())
        .join(Attempt).where(Attempt.user_id == user.id, Attempt.module_id == module.id)
        .group_by(AttemptQuestion.question_id)
    ).all())
    questions = {q.id: q for q in db.session.scalars(
        select(Question).where(Question.module_id == module.id).options(selectinload(Question.options))
    )}
    rule_of = {q.id: q.variant_rule for q in questions.values() if q.variant_rule}
    drawn = rules.draw_questions(sorted(questions), module.draw_count, times_seen, rng, rule_of)
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


def question_keys(drawn: list[AttemptQuestion]) -> list[rules.QuestionKey]:
    """The answer key of an attempt's drawn questions (their options loaded)."""
    return [rules.QuestionKey(d.question_id, frozenset(o.id for o in d.question.options),
                              frozenset(o.id for o in d.question.options if o.is_correct)) for d in drawn]


def graded_answers(attempt: Attempt) -> dict[int, rules.QuestionGrade]:
    """A submitted attempt's stored answers, graded by the same rule as at submission, by question id."""
    chosen: dict[int, set[int]] = {}
    question_of = {d.id: d.question_id for d in attempt.questions}
    for answer in attempt.answers:
        chosen.setdefault(question_of[answer.attempt_question_id], set()).add(answer.option_id)
    result = rules.grade(question_keys(attempt.questions), {q: frozenset(o) for q, o in chosen.items()},
                         attempt.submission.pass_mark)
    return {g.question_id: g for g in result.questions}


def submit_attempt(user, attempt: Attempt, answers: Mapping[int, Collection[int]], now: datetime) -> Submission:
    """Grade and store a submission with its answers, and the completion if passed. Caller commits.

    `answers` maps question id to chosen option ids. Certificates the pass earned are issued too
    and listed in the returned submission's `issued_certificates` (set on that instance only, never
    stored): the caller renders their PDFs after committing. Raises QuizError (or
    rules.InvalidAnswers) and stores nothing when the submission is refused.
    """
    if attempt.user_id != user.id:
        raise NotYourAttempt("This attempt belongs to someone else.")
    lock_person(user.id)  # after this, "not yet submitted" and what a pass earns cannot change under us
    if db.session.scalar(select(Submission.attempt_id).where(Submission.attempt_id == attempt.id)) is not None:
        db.session.expire(attempt)
        raise AlreadySubmitted()
    module = db.session.get(Module, attempt.module_id)
    if quiz_changed_since(module):
        raise QuizChanged()
    if failed_since(user, module, attempt.started_at, attempt.id):
        raise AttemptNotAllowed(rules.RetakeDecision(
            False, "Another attempt at this quiz was submitted and not passed while this one was open. "
                   "Read the feedback, wait for the retry time, then start a new attempt."))
    drawn = list(db.session.scalars(
        select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id).order_by(AttemptQuestion.position)
        .options(selectinload(AttemptQuestion.question).selectinload(Question.options))
    ))
    keys = question_keys(drawn)
    chosen = rules.validate_answers(keys, answers)
    result = rules.grade(keys, chosen, module.course_version.pass_mark)
    submission = Submission(attempt_id=attempt.id, submitted_at=now, correct_count=result.correct_count,
                            question_count=result.question_count, score_percent=result.score_percent,
                            pass_mark=result.pass_mark, passed=result.passed)
    if not add_once(db.session, submission):  # a concurrent submission of the same attempt won
        db.session.expire(attempt)
        raise AlreadySubmitted()
    db.session.add_all(Answer(attempt_id=attempt.id, attempt_question_id=d.id, option_id=option_id)
                       for d in drawn for option_id in sorted(chosen.get(d.question_id, ())))
    record("attempt.submitted", actor=user, subject_type="attempt", subject_id=attempt.id, at=now,
           details={"module": module.slug, "score": result.score_percent, "passed": result.passed})
    submission.issued_certificates = []
    if result.passed:
        db.session.add(ModuleCompletion(user_id=user.id, module_id=module.id,
                                        course_version_id=module.course_version_id, attempt_id=attempt.id,
                                        completed_at=now))
        db.session.flush()
        submission.issued_certificates = issue_earned_certificates(user, now, passed_module=module.slug)
    db.session.flush()
    return submission


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



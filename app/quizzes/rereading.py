"""After a failed attempt, the lessons of the missed questions are read again before a retake.

A Reread row records that a person reopened such a lesson after that attempt; the retake waits
until every lesson the attempt missed has one.
"""
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.courses.models import Lesson, Module, Question
from app.extensions import db
from app.quizzes.models import Attempt, AttemptQuestion, Reread, Submission
from app.unique_rows import add_once


def last_failed_attempt(user, module: Module) -> Attempt | None:
    """The person's latest submitted attempt at this module, if it did not pass (loaded for grading)."""
    latest = db.session.execute(
        select(Attempt.id, Submission.passed).join(Submission)
        .where(Attempt.user_id == user.id, Attempt.module_id == module.id)
        .order_by(Submission.submitted_at.desc(), Attempt.id.desc()).limit(1)).first()
    if latest is None or latest.passed:
        return None  # every lesson view asks: most of the time this one small query answers
    return db.session.scalar(
        select(Attempt).where(Attempt.id == latest.id)
        .options(selectinload(Attempt.submission), selectinload(Attempt.answers),
                 selectinload(Attempt.questions).selectinload(AttemptQuestion.question)
                 .selectinload(Question.options)))


def missed_lesson_ids(attempt: Attempt) -> set[int]:
    """The lessons that teach the questions this attempt got wrong (questions naming none add none)."""
    from app.quizzes.services import graded_answers

    grades = graded_answers(attempt)
    return {d.question.lesson_id for d in attempt.questions
            if d.question.lesson_id is not None and not grades[d.question_id].correct}


def lessons_to_reread(user, module: Module) -> list[Lesson]:
    """Lessons still to reopen before the next attempt, in course order (none after a pass)."""
    attempt = last_failed_attempt(user, module)
    if attempt is None:
        return []
    needed = missed_lesson_ids(attempt)
    done = set(db.session.scalars(select(Reread.lesson_id).where(Reread.attempt_id == attempt.id)))
    return [lesson for lesson in module.lessons if lesson.id in needed - done]


def note_reread(user, lesson: Lesson, now: datetime) -> None:
    """Record that the person reopened this lesson, if their last failed attempt asked for it. Caller commits."""
    attempt = last_failed_attempt(user, lesson.module)
    if attempt is not None and lesson.id in missed_lesson_ids(attempt):
        add_once(db.session, Reread(attempt_id=attempt.id, lesson_id=lesson.id, viewed_at=now))

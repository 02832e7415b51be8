"""Answers in progress, saved on the server as the person chooses them and restored on return."""
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.quizzes.models import AnswerDraft, Attempt, AttemptQuestion
from app.quizzes.services import AlreadySubmitted, NotYourAttempt
from app.unique_rows import add_once


class DraftRefused(ValueError):
    """The draft names a question or option that is not part of this attempt; nothing is saved."""


def save_draft(user, attempt: Attempt, question_id: int, option_ids: Collection[int], now: datetime) -> None:
    """Keep the person's current choice for one question of their open attempt. Caller commits."""
    if attempt.user_id != user.id:
        raise NotYourAttempt("This attempt belongs to someone else.")
    if attempt.submission is not None:
        raise AlreadySubmitted()
    drawn = db.session.scalar(select(AttemptQuestion).where(
        AttemptQuestion.attempt_id == attempt.id, AttemptQuestion.question_id == question_id))
    if drawn is None:
        raise DraftRefused("That question is not part of this attempt.")
    chosen = sorted(set(option_ids))
    if not set(chosen) <= set(drawn.option_order):
        raise DraftRefused("An answer names an option that does not belong to its question.")
    draft = db.session.get(AnswerDraft, (attempt.id, question_id))
    if draft is None and add_once(db.session, AnswerDraft(attempt_id=attempt.id, question_id=question_id,
                                                          option_ids=chosen, saved_at=now)):
        return
    draft = draft or db.session.get(AnswerDraft, (attempt.id, question_id))  # another tab saved it first
    draft.option_ids, draft.saved_at = chosen, now


def draft_answers(attempt: Attempt) -> dict[int, list[int]]:
    """Question id -> the options chosen so far (questions cleared again are left out)."""
    return {d.question_id: list(d.option_ids) for d in db.session.scalars(
        select(AnswerDraft).where(AnswerDraft.attempt_id == attempt.id)) if d.option_ids}

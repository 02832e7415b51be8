"""Quiz attempts. Evidence: rows are only ever added, never changed.

Starting an attempt stores the drawn questions and their option order.
Submitting adds one Submission row (its primary key is the attempt id, so a
second submission of the same attempt is refused by the database) and the
chosen answers.
"""
from sqlalchemy import JSON, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.courses.models import Module, Question, QuestionOption
from app.extensions import db
from app.timestamps import UTCDateTime


class Attempt(db.Model):
    __tablename__ = "attempts"
    __table_args__ = (Index("ix_attempts_user_module", "user_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"))
    started_at = mapped_column(UTCDateTime, nullable=False)

    module: Mapped[Module] = relationship()
    user: Mapped["User"] = relationship()  # noqa: F821 - resolved by name
    questions: Mapped[list["AttemptQuestion"]] = relationship(
        back_populates="attempt", order_by="AttemptQuestion.position"
    )
    submission: Mapped["Submission | None"] = relationship(back_populates="attempt")
    answers: Mapped[list["Answer"]] = relationship()

    @property
    def submitted(self) -> bool:
        return self.submission is not None


class AttemptQuestion(db.Model):
    __tablename__ = "attempt_questions"
    __table_args__ = (
        UniqueConstraint("attempt_id", "position"),
        UniqueConstraint("attempt_id", "question_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    position: Mapped[int]
    option_order: Mapped[list] = mapped_column(JSON)  # option ids as shown

    attempt: Mapped[Attempt] = relationship(back_populates="questions")
    question: Mapped[Question] = relationship()


class Submission(db.Model):
    __tablename__ = "submissions"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), primary_key=True)
    submitted_at = mapped_column(UTCDateTime, nullable=False)
    correct_count: Mapped[int]
    question_count: Mapped[int]
    score_percent: Mapped[int]
    pass_mark: Mapped[int]
    passed: Mapped[bool]

    attempt: Mapped[Attempt] = relationship(back_populates="submission")

    # submit_attempt sets `issued_certificates` on the instance it returns (never stored): what the pass earned.


class Answer(db.Model):
    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("attempt_question_id", "option_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    attempt_question_id: Mapped[int] = mapped_column(ForeignKey("attempt_questions.id"))
    option_id: Mapped[int] = mapped_column(ForeignKey("question_options.id"))

    option: Mapped[QuestionOption] = relationship()


class Reread(db.Model):
    """A lesson reopened after a failed attempt that missed one of its questions (the retake needs it)."""

    __tablename__ = "rereads"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), primary_key=True)
    viewed_at = mapped_column(UTCDateTime, nullable=False)


class AnswerDraft(db.Model):
    """What a person has chosen so far on an open attempt, saved as they go so that leaving the page
    or losing the session loses nothing. Not evidence: the submission's answers are."""

    __tablename__ = "answer_drafts"

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), primary_key=True)
    option_ids: Mapped[list] = mapped_column(JSON)
    saved_at = mapped_column(UTCDateTime, nullable=False)

"""Item analysis over the attempts already stored (rules: app.quizzes.item_analysis)."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.courses.models import CourseVersion, Module, Question
from app.extensions import db
from app.quizzes.item_analysis import ItemResponse, ItemStats, analyse
from app.quizzes.models import Answer, Attempt, AttemptQuestion, Submission


@dataclass(frozen=True)
class QuestionReport:
    module: Module
    question: Question
    stats: ItemStats

    def option_rate(self, option_id: int) -> float:
        return dict(self.stats.option_rates).get(option_id, 0.0)


def course_versions() -> list[CourseVersion]:
    return list(db.session.scalars(select(CourseVersion).order_by(CourseVersion.title, CourseVersion.id.desc())))


def item_report(version: CourseVersion, start: datetime, end: datetime) -> list[QuestionReport]:
    """Every question of this course version, with how it performed in attempts submitted from
    `start` to `end`, both included."""
    modules = list(db.session.scalars(
        select(Module).where(Module.course_version_id == version.id).order_by(Module.position)
        .options(selectinload(Module.questions).selectinload(Question.options))))
    options = {q.id: [(o.id, o.is_correct) for o in q.options] for m in modules for q in m.questions}
    keyed = {q: frozenset(o for o, ok in opts if ok) for q, opts in options.items()}
    def in_period(query):  # drawn questions of this version's attempts submitted in the period
        return (query.join(Attempt, AttemptQuestion.attempt_id == Attempt.id).join(Submission)
                .join(Module, Attempt.module_id == Module.id)
                .where(Module.course_version_id == version.id, Submission.submitted_at >= start,
                       Submission.submitted_at <= end))

    drawn = db.session.execute(in_period(
        select(AttemptQuestion.id, AttemptQuestion.attempt_id, AttemptQuestion.question_id))).all()
    chosen: dict[int, set[int]] = {}
    for attempt_question_id, option_id in db.session.execute(in_period(
            select(Answer.attempt_question_id, Answer.option_id)
            .join(AttemptQuestion, Answer.attempt_question_id == AttemptQuestion.id))):
        chosen.setdefault(attempt_question_id, set()).add(option_id)
    responses = [ItemResponse(attempt_id, question_id, frozenset(chosen.get(aq_id, ())) == keyed[question_id],
                              frozenset(chosen.get(aq_id, ())))
                 for aq_id, attempt_id, question_id in drawn if question_id in keyed]
    stats = {s.question_id: s for s in analyse(responses, options)}
    return [QuestionReport(m, q, stats[q.id]) for m in modules for q in m.questions]


def item_csv(reports: list[QuestionReport]):
    """The item analysis as CSV (header, rows); the keyed option is marked."""
    header = ["Module", "Question", "Seen", "Share right", "Discrimination", "Option picks", "Flags"]
    rows = ([r.module.slug, r.question.key, r.stats.seen,
             "" if r.stats.facility is None else f"{r.stats.facility:.2f}",
             "" if r.stats.discrimination is None else f"{r.stats.discrimination:.2f}",
             "; ".join(f"{r.option_rate(o.id):.0%} {'(keyed) ' if o.is_correct else ''}{o.text[:40]}"
                       for o in r.question.options),
             ", ".join(r.stats.flags)] for r in reports)
    return header, rows

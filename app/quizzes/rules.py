"""Quiz rules as pure functions: drawing, validating answers, grading, retakes.

No database and no HTTP here, so each rule is unit-tested directly.
"""
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random

# --- drawing -------------------------------------------------------------------

def draw_questions(pool: Sequence[int], count: int, times_seen: Mapping[int, int], rng: Random,
                   rule_of: Mapping[int, str] | None = None) -> list[int]:
    """Pick `count` question ids so that retakes meet as few seen questions as the pool allows.

    Questions that share a rule (`rule_of`) are variants of one another: at most one is drawn,
    the rules seen least so far first, and within a rule its least-seen variant. Ties are broken
    at random, and the drawn questions are shown in random order.
    """
    rule_of = rule_of or {}
    groups: dict[str, list[int]] = {}
    for qid in pool:
        groups.setdefault(rule_of.get(qid) or f"#{qid}", []).append(qid)
    if count > len(groups):
        raise ValueError(f"cannot draw {count} questions from a pool of {len(groups)} rules")
    seen_rule = {rule: sum(times_seen.get(q, 0) for q in members) for rule, members in groups.items()}
    ranked = sorted(groups, key=lambda rule: (seen_rule[rule], rng.random()))
    chosen = [min(groups[rule], key=lambda q: (times_seen.get(q, 0), rng.random())) for rule in ranked[:count]]
    rng.shuffle(chosen)
    return chosen


def shuffle_options(option_ids: Sequence[int], rng: Random) -> list[int]:
    order = list(option_ids)
    rng.shuffle(order)
    return order


# --- answers and grading ----------------------------------------------------------

@dataclass(frozen=True)
class QuestionKey:
    """What grading needs to know about one drawn question."""

    question_id: int
    option_ids: frozenset[int]
    correct_option_ids: frozenset[int]

    @property
    def multiple(self) -> bool:
        return len(self.correct_option_ids) > 1


class InvalidAnswers(ValueError):
    """The submitted answers do not fit the attempt; nothing is stored."""


def validate_answers(keys: Sequence[QuestionKey], answers: Mapping[int, Collection[int]]) -> dict[int, frozenset[int]]:
    """Check answers against the attempt's questions and return them normalised.

    Every drawn question must be answered, only with its own options, and a
    single-answer question with exactly one option.
    """
    by_id = {k.question_id: k for k in keys}
    unknown = set(answers) - set(by_id)
    if unknown:
        raise InvalidAnswers("The answers name a question that is not part of this attempt.")
    result: dict[int, frozenset[int]] = {}
    missing = 0
    for key in keys:
        chosen = frozenset(answers.get(key.question_id, ()))
        if not chosen:
            missing += 1
            continue
        if not chosen <= key.option_ids:
            raise InvalidAnswers("An answer names an option that does not belong to its question.")
        if not key.multiple and len(chosen) != 1:
            raise InvalidAnswers("Choose exactly one answer for each single-answer question.")
        result[key.question_id] = chosen
    if missing:
        noun = "question is" if missing == 1 else "questions are"
        raise InvalidAnswers(f"{missing} {noun} not answered yet. Answer every question, then submit.")
    return result


@dataclass(frozen=True)
class QuestionGrade:
    question_id: int
    chosen: frozenset[int]
    correct: bool


@dataclass(frozen=True)
class GradeResult:
    correct_count: int
    question_count: int
    pass_mark: int
    questions: tuple[QuestionGrade, ...]

    @property
    def score_percent(self) -> int:
        return self.correct_count * 100 // self.question_count

    @property
    def passed(self) -> bool:
        # Integer arithmetic: 8 of 10 at a pass mark of 80 passes, exactly.
        return self.correct_count * 100 >= self.pass_mark * self.question_count


def grade(keys: Sequence[QuestionKey], answers: Mapping[int, frozenset[int]], pass_mark: int) -> GradeResult:
    """All-or-nothing per question: the chosen set must equal the correct set."""
    if not keys:
        raise ValueError("an attempt has at least one question")
    grades = tuple(
        QuestionGrade(k.question_id, answers.get(k.question_id, frozenset()),
                      answers.get(k.question_id, frozenset()) == k.correct_option_ids)
        for k in keys
    )
    return GradeResult(sum(g.correct for g in grades), len(grades), pass_mark, grades)


# --- retakes ---------------------------------------------------------------------

@dataclass(frozen=True)
class RetakePolicy:
    max_attempts_per_day: int
    cooldown_minutes: int


@dataclass(frozen=True)
class RetakeDecision:
    allowed: bool
    reason: str = ""
    next_allowed_at: datetime | None = None


def may_start_attempt(
    policy: RetakePolicy, now: datetime, started_in_last_day: Sequence[datetime], last_failed_at: datetime | None
) -> RetakeDecision:
    """A rolling 24-hour attempt limit, and a cooldown after a failed attempt."""
    if len(started_in_last_day) >= policy.max_attempts_per_day:
        oldest = sorted(started_in_last_day)[len(started_in_last_day) - policy.max_attempts_per_day]
        return RetakeDecision(
            False,
            f"You have used all {policy.max_attempts_per_day} attempts allowed in 24 hours.",
            oldest + timedelta(days=1),
        )
    if last_failed_at is not None and policy.cooldown_minutes:
        ready = last_failed_at + timedelta(minutes=policy.cooldown_minutes)
        if now < ready:
            return RetakeDecision(
                False,
                f"Take a short break and review the lessons: you can try again {policy.cooldown_minutes} "
                "minutes after a failed attempt.",
                ready,
            )
    return RetakeDecision(True)

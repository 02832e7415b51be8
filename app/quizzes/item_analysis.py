"""Item analysis for course owners, as pure functions: how each question performed.

For each question, over the submitted attempts that drew it: how many saw it, the share who got it
right (facility), how well it separates people who know the material from those who do not
(discrimination: the point-biserial correlation between getting this question right and the share
right on the rest of the attempt), how often each option was picked, and flags for a course owner
to look at.
"""
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from math import sqrt

TOO_EASY, TOO_HARD, LOW_DISCRIMINATION = 0.95, 0.30, 0.10
MIN_SEEN_FOR_FLAGS = 10  # fewer answers than this say nothing about a question


@dataclass(frozen=True)
class ItemResponse:
    """One drawn question in one submitted attempt."""

    attempt_id: int
    question_id: int
    correct: bool
    chosen: frozenset[int]


@dataclass(frozen=True)
class ItemStats:
    question_id: int
    seen: int
    facility: float | None                 # share answered right
    discrimination: float | None           # point-biserial against the rest of the attempt
    option_rates: tuple[tuple[int, float], ...]  # (option id, share of those who saw it that picked it)
    flags: tuple[str, ...]


def point_biserial(item: Sequence[bool], rest: Sequence[float]) -> float | None:
    """Correlation between a right/wrong item and a continuous score; None when either does not vary."""
    n = len(item)
    right = [r for ok, r in zip(item, rest) if ok]
    wrong = [r for ok, r in zip(item, rest) if not ok]
    if n < 2 or not right or not wrong:
        return None
    mean = sum(rest) / n
    sd = sqrt(sum((r - mean) ** 2 for r in rest) / n)
    if sd == 0:
        return None
    p = len(right) / n
    return (sum(right) / len(right) - sum(wrong) / len(wrong)) / sd * sqrt(p * (1 - p))


def analyse(responses: Iterable[ItemResponse], options: dict[int, Sequence[tuple[int, bool]]]) -> list[ItemStats]:
    """Stats per question in `options` (question id -> its (option id, keyed?) pairs), from the responses."""
    by_attempt: dict[int, list[ItemResponse]] = {}
    for response in responses:
        by_attempt.setdefault(response.attempt_id, []).append(response)
    items: dict[int, list[tuple[bool, float]]] = {q: [] for q in options}
    picks: dict[int, dict[int, int]] = {q: {o: 0 for o, _ in opts} for q, opts in options.items()}
    for answered in by_attempt.values():
        right = sum(r.correct for r in answered)
        for r in answered:
            if r.question_id not in items:
                continue
            others = len(answered) - 1
            items[r.question_id].append((r.correct, (right - r.correct) / others if others else 0.0))
            for option_id in r.chosen:
                if option_id in picks[r.question_id]:
                    picks[r.question_id][option_id] += 1
    return [_stats(q, items[q], picks[q], {o for o, keyed in options[q] if not keyed}) for q in options]


def _stats(question_id: int, answers: list[tuple[bool, float]], picks: dict[int, int],
           distractors: set[int]) -> ItemStats:
    seen = len(answers)
    facility = sum(ok for ok, _ in answers) / seen if seen else None
    discrimination = point_biserial([ok for ok, _ in answers], [rest for _, rest in answers]) if seen else None
    rates = tuple((option_id, count / seen if seen else 0.0) for option_id, count in picks.items())
    flags = []
    if seen >= MIN_SEEN_FOR_FLAGS:
        if facility > TOO_EASY:
            flags.append("too easy")
        if facility < TOO_HARD:
            flags.append("too hard")
        if discrimination is not None and discrimination < LOW_DISCRIMINATION:
            flags.append("low discrimination")
        if any(picks[o] == 0 for o in distractors):
            flags.append("a distractor nobody picks")
    return ItemStats(question_id, seen, facility, discrimination, rates, tuple(flags))

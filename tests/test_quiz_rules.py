"""The pure quiz rules, without a database or HTTP."""
from datetime import datetime, timedelta, timezone
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.quizzes.rules import (
    InvalidAnswers,
    QuestionKey,
    RetakePolicy,
    draw_questions,
    grade,
    may_start_attempt,
    shuffle_options,
    validate_answers,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def key(qid, options=(1, 2, 3), correct=(1,)):
    return QuestionKey(qid, frozenset(options), frozenset(correct))


# --- drawing ----------------------------------------------------------------

def test_draw_takes_the_requested_number_of_distinct_questions():
    drawn = draw_questions(list(range(20)), 10, {}, Random(1))
    assert len(drawn) == 10 and len(set(drawn)) == 10


def test_retake_draws_unseen_questions_first():
    pool = list(range(20))
    first = draw_questions(pool, 10, {}, Random(1))
    second = draw_questions(pool, 10, {q: 1 for q in first}, Random(2))
    assert set(first).isdisjoint(second)


def test_small_pool_reuses_the_least_seen():
    seen = {1: 3, 2: 1, 3: 1, 4: 0}
    assert set(draw_questions([1, 2, 3, 4], 3, seen, Random(0))) == {2, 3, 4}


def test_variants_of_one_rule_are_never_drawn_together():
    rule_of = {q: f"rule-{q % 10}" for q in range(30)}  # ten rules, three surfaces each
    for seed in range(50):
        drawn = draw_questions(list(range(30)), 10, {}, Random(seed), rule_of)
        assert sorted(rule_of[q] for q in drawn) == sorted(set(rule_of.values()))


def test_three_attempts_meet_three_surfaces_of_each_rule():
    rule_of = {q: f"rule-{q % 10}" for q in range(30)}
    seen: dict[int, int] = {}
    for seed in range(3):
        for q in draw_questions(list(range(30)), 10, seen, Random(seed), rule_of):
            seen[q] = seen.get(q, 0) + 1
    assert seen == {q: 1 for q in range(30)}


def test_a_draw_larger_than_the_rules_is_refused():
    with pytest.raises(ValueError, match="rules"):
        draw_questions([1, 2, 3], 2, {}, Random(0), {1: "a", 2: "a", 3: "a"})


def test_cannot_draw_more_than_the_pool():
    with pytest.raises(ValueError):
        draw_questions([1, 2], 3, {}, Random(0))


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=40, unique=True), st.data())
def test_draw_is_always_a_subset_without_repeats(pool, data):
    n = data.draw(st.integers(1, len(pool)))
    drawn = draw_questions(pool, n, {}, Random(data.draw(st.integers())))
    assert len(drawn) == n == len(set(drawn)) and set(drawn) <= set(pool)


def test_shuffle_keeps_every_option():
    assert sorted(shuffle_options([5, 6, 7, 8], Random(3))) == [5, 6, 7, 8]


# --- validating answers ----------------------------------------------------------

def test_valid_answers_are_normalised():
    assert validate_answers([key(1), key(2, (4, 5, 6), (4,))], {1: [2], 2: [4]}) == {1: {2}, 2: {4}}


def test_option_from_another_question_is_refused():
    with pytest.raises(InvalidAnswers, match="does not belong"):
        validate_answers([key(1), key(2, (4, 5, 6), (4,))], {1: [4], 2: [5]})


def test_question_outside_the_attempt_is_refused():
    with pytest.raises(InvalidAnswers, match="not part of this attempt"):
        validate_answers([key(1)], {1: [1], 99: [1]})


def test_unanswered_question_is_refused_with_a_count():
    with pytest.raises(InvalidAnswers, match="1 question is not answered"):
        validate_answers([key(1), key(2)], {1: [1]})


def test_two_answers_to_a_single_answer_question_are_refused():
    with pytest.raises(InvalidAnswers, match="exactly one"):
        validate_answers([key(1)], {1: [1, 2]})


# --- grading ---------------------------------------------------------------------

def test_grade_counts_right_answers_and_applies_the_pass_mark_exactly():
    keys = [key(i, (i * 10, i * 10 + 1, i * 10 + 2), (i * 10,)) for i in range(1, 11)]
    answers = {i: frozenset({i * 10 if i <= 8 else i * 10 + 1}) for i in range(1, 11)}
    result = grade(keys, answers, 80)
    assert (result.correct_count, result.score_percent, result.passed) == (8, 80, True)
    assert not grade(keys, answers, 81).passed


def test_multiple_answer_question_is_all_or_nothing():
    k = key(1, (1, 2, 3, 4), (1, 2))
    assert grade([k], {1: frozenset({1, 2})}, 100).passed
    assert not grade([k], {1: frozenset({1})}, 1).passed
    assert not grade([k], {1: frozenset({1, 2, 3})}, 1).passed


@given(st.integers(1, 30), st.data())
def test_grading_properties(n, data):
    keys = [key(i, (3 * i, 3 * i + 1, 3 * i + 2), (3 * i,)) for i in range(n)]
    answers = {i: frozenset({3 * i + data.draw(st.integers(0, 2))}) for i in range(n)}
    pass_mark = data.draw(st.integers(1, 100))
    result = grade(keys, answers, pass_mark)
    assert result.correct_count == sum(answers[i] == {3 * i} for i in range(n))
    assert 0 <= result.score_percent <= 100
    assert result.passed == (result.correct_count / n * 100 >= pass_mark - 1e-9)
    # Getting one more question right never turns a pass into a fail.
    wrong = [i for i in range(n) if answers[i] != {3 * i}]
    if wrong:
        better = {**answers, wrong[0]: frozenset({3 * wrong[0]})}
        assert grade(keys, better, pass_mark).passed or not result.passed


# --- retakes ---------------------------------------------------------------------

POLICY = RetakePolicy(max_attempts_per_day=3, cooldown_minutes=10)


def test_first_attempt_is_allowed():
    assert may_start_attempt(POLICY, NOW, [], None).allowed


def test_cooldown_after_a_failure():
    decision = may_start_attempt(POLICY, NOW, [NOW - timedelta(minutes=5)], NOW - timedelta(minutes=4))
    assert not decision.allowed and decision.next_allowed_at == NOW + timedelta(minutes=6)
    assert may_start_attempt(POLICY, NOW, [NOW - timedelta(minutes=15)], NOW - timedelta(minutes=11)).allowed


def test_daily_limit_is_a_rolling_24_hours():
    starts = [NOW - timedelta(hours=h) for h in (20, 10, 1)]
    decision = may_start_attempt(POLICY, NOW, starts, None)
    assert not decision.allowed
    assert decision.next_allowed_at == NOW - timedelta(hours=20) + timedelta(days=1)

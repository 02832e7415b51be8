"""A guesser who never read a lesson must not pass.

A content-blind solver looks only at the form of the options: the one whose
opening word is odd, the longest or second-longest, and words that the other
modules' keys favour (it learns those from every module but the one it takes,
as a test-wise person learns from earlier quizzes). On each shipped pool it
must score at most 40 % and pass at most 2 % of simulated attempts.
"""
import math
import random
from collections import Counter
from pathlib import Path

import pytest

from app.courses.content import read_courses
from app.courses.item_rules import odd_opener, phrases
from app.courses.specs import ModuleSpec, QuestionSpec

COURSES = Path(__file__).parent.parent / "courses"
MAX_SCORE = 0.40
MAX_PASS_RATE = 0.02
ATTEMPTS = 20_000
TIEBREAKS = 200


def shipped_course():
    courses, problems = read_courses(COURSES)
    assert problems == [], "\n".join(map(str, problems))
    return next(c for c in courses if c.slug == "hipaa-social-media")


COURSE = shipped_course()


class Solver:
    """Scores options by form only; `cues` are what it learned from other modules."""

    def __init__(self, training: list[QuestionSpec], use_opener: bool, rank: int | None, use_words: bool):
        self.use_opener, self.rank, self.use_words = use_opener, rank, use_words
        keyed, other = Counter(), Counter()
        for q in training:
            for o in q.options:
                (keyed if o.correct else other).update(phrases(o.text))
        n_keyed = sum(o.correct for q in training for o in q.options) or 1
        n_other = sum(not o.correct for q in training for o in q.options) or 1
        # log-odds of "keyed" for each phrase, smoothed so a phrase seen once says little
        self.weights = {p: math.log((keyed[p] + 0.5) / n_keyed) - math.log((other[p] + 0.5) / n_other)
                        for p in set(keyed) | set(other) if keyed[p] + other[p] >= 3}
        counts = Counter(sum(o.correct for o in q.options) for q in training if q.multiple)
        self.multi_count = counts.most_common(1)[0][0] if counts else 2

    def scores(self, q: QuestionSpec) -> list[float]:
        odd = odd_opener(q) if self.use_opener else None
        lengths = sorted({len(o.text) for o in q.options}, reverse=True)
        result = []
        for o in q.options:
            score = 10.0 if o is odd else 0.0
            if self.rank is not None:
                rank = 1 + lengths.index(len(o.text)) if len(lengths) >= self.rank else 0
                score += 3.0 if rank == self.rank else 0.0
            if self.use_words:
                score += sum(self.weights.get(p, 0.0) for p in phrases(o.text))
            result.append(score)
        return result

    def chance_right(self, q: QuestionSpec, rng: random.Random) -> float:
        """The share of random tie-breaks with which it picks exactly the keyed options."""
        scores = self.scores(q)
        picks = self.multi_count if q.multiple else 1
        keys = {i for i, o in enumerate(q.options) if o.correct}
        right = 0
        for _ in range(TIEBREAKS):
            order = sorted(range(len(scores)), key=lambda i: (-scores[i], rng.random()))
            right += set(order[:picks]) == keys
        return right / TIEBREAKS


def solvers(training):
    for use_opener in (True, False):
        for rank in (None, 1, 2, 3):
            for use_words in (False, True):
                yield f"opener={use_opener} rank={rank} words={use_words}", Solver(training, use_opener, rank,
                                                                                    use_words)


def pass_rate(module: ModuleSpec, chances: dict[str, float], pass_mark: int, rng: random.Random) -> float:
    """Simulated attempts: draw as the quiz does (one question per rule), guess, grade."""
    groups: dict[str, list[QuestionSpec]] = {}
    for q in module.questions:
        groups.setdefault(q.rule or q.key, []).append(q)
    passed = 0
    for _ in range(ATTEMPTS):
        drawn = [rng.choice(groups[g]) for g in rng.sample(sorted(groups), module.draw)]
        right = sum(rng.random() < chances[q.key] for q in drawn)
        passed += right * 100 >= pass_mark * module.draw
    return passed / ATTEMPTS


@pytest.mark.parametrize("module", COURSE.modules, ids=[m.slug for m in COURSE.modules])
def test_a_content_blind_solver_fails(module):
    rng = random.Random(26)
    training = [q for m in COURSE.modules if m.slug != module.slug for q in m.questions]
    results = []
    for name, solver in solvers(training):
        chances = {q.key: solver.chance_right(q, rng) for q in module.questions}
        results.append((sum(chances.values()) / len(chances), name, chances))
    results.sort(key=lambda r: r[0], reverse=True)
    score, name, _ = results[0]
    assert score <= MAX_SCORE, f"{module.slug}: the solver '{name}' scores {score:.0%} (at most {MAX_SCORE:.0%})"
    # the best-scoring solvers are the ones that pass most often; simulate those
    rate, name = max((pass_rate(module, chances, COURSE.pass_mark, rng), name) for _s, name, chances in results[:3])
    assert rate <= MAX_PASS_RATE, f"{module.slug}: the solver '{name}' passes {rate:.1%} of attempts (at most 2 %)"


def test_the_solver_finds_planted_cues():
    """The solver is not blind to form: on a pool whose key is always the odd opener it scores fully."""
    module = COURSE.modules[0]
    planted = []
    for q in module.questions[:12]:
        opts = [o.__class__(("Report " if o.correct else "Post ") + o.text, o.feedback, o.correct)
                for o in q.options]
        planted.append(q.__class__(q.key, q.stem, tuple(opts), q.explanation, q.citation))
    planted = [q for q in planted if not q.multiple and len(q.options) >= 4]
    solver = Solver([], use_opener=True, rank=None, use_words=False)
    assert planted and all(solver.chance_right(q, random.Random(1)) == 1.0 for q in planted)

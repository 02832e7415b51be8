"""Item-writing rules: a quiz must measure learning, not test-wiseness.

A guesser who never read a lesson still scores well when the key is the odd
one out, the longest option, or the only one that says "privacy officer".
These checks find such cues in a course's files, each with its file and line.
They run in `postready courses check`; loading (`sync`) checks structure only.
"""
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterator

import textstat

from app.courses.file_reader import Problem
from app.courses.specs import CourseSpec, ModuleSpec, OptionSpec, QuestionSpec

POOL_FACTOR = 3                  # a pool holds at least three times its draw
PERMISSIVE_SHARE = 0.15          # questions whose key says "fine to post"
LONGEST_KEY_SHARE = (0.20, 0.30)  # how often the key may be the longest option
TOP_RANK_SHARE = 0.40            # no length rank may hold the key more often
MAX_EXPLANATION_GRADE = 9.0      # Flesch-Kincaid grade
CUE_MIN_OPTIONS = 4              # phrases rarer than this are not judged
CUE_P_VALUE = 0.01               # how improbable a skew must be to count as a cue within a module
COURSE_CUE_P_VALUE = 0.001       # across a whole course (many more phrases are tried there)

STOP_WORDS = frozenset("""
a an and are as at be by can do does for from has have he her his i if in is it its me my of on or our she so
that the their them then there they this to was we were will with you your
""".split())
WORD = re.compile(r"[#\w][\w'’-]*")


def words(text: str) -> list[str]:
    return WORD.findall(text.casefold())


def phrases(text: str, longest: int = 3) -> set[str]:
    """Every run of 1 to `longest` words that is not made only of stop words."""
    tokens = words(text)
    found = set()
    for size in range(1, longest + 1):
        for start in range(len(tokens) - size + 1):
            run = tokens[start:start + size]
            if not all(t in STOP_WORDS for t in run):
                found.add(" ".join(run))
    return found


def binomial_tail(n: int, k: int, p: float, upper: bool) -> float:
    """P(X >= k) (upper) or P(X <= k) for X ~ Binomial(n, p)."""
    span = range(k, n + 1) if upper else range(0, k + 1)
    return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in span)


def key_length_rank(question: QuestionSpec) -> int:
    """1 when the key is the longest option, 2 when one option is longer, and so on."""
    key = next(o for o in question.options if o.correct)
    return 1 + sum(len(o.text) > len(key.text) for o in question.options)


def odd_opener(question: QuestionSpec):
    """The option whose first word alone differs, when all the others (3 or more) share one."""
    if len(question.options) < 4:
        return None
    firsts = [(words(o.text) or [""])[0] for o in question.options]
    common, count = Counter(firsts).most_common(1)[0]
    if count == len(firsts) - 1:
        return next(o for o, first in zip(question.options, firsts) if first != common)
    return None


def _lines(lines: list[int | None], limit: int = 8) -> str:
    shown = [str(n) for n in lines[:limit] if n]
    return ", ".join(shown) + (", ..." if len(lines) > limit else "")


def check_module(module: ModuleSpec) -> Iterator[Problem]:
    path, questions = module.questions_path, module.questions
    if not questions:
        return
    minimum = POOL_FACTOR * module.draw
    if len(questions) < minimum:
        yield Problem(path, None, f"the pool has {len(questions)} questions; {module.draw} are drawn, so it needs "
                                  f"at least {minimum} for retakes to see new questions")
    groups = {q.rule or f"question:{q.key}" for q in questions}
    if len(groups) < module.draw:
        yield Problem(path, None, f"only {len(groups)} distinct rules (variants count once) for a draw of "
                                  f"{module.draw}: add questions on other rules")
    permissive_needed = math.ceil(PERMISSIVE_SHARE * len(questions))
    permissive = sum(q.permissive for q in questions)
    if permissive < permissive_needed:
        yield Problem(path, None, f"{permissive} question(s) have 'permissive: true'; at least {permissive_needed} "
                                  f"(15 %) should have a key that says the post is fine, so staff practise saying yes")
    for q in questions:
        if not q.lesson:
            yield Problem(path, q.line, f"question {q.key!r} names no 'lesson' to re-read after a miss")
        odd = odd_opener(q)
        if odd is not None:
            yield Problem(path, odd.line, f"question {q.key!r}: this option alone does not open with the word the "
                                          f"others share, which marks it out; vary the openings")
        grade = textstat.flesch_kincaid_grade(q.explanation)
        if grade > MAX_EXPLANATION_GRADE:
            yield Problem(path, q.explanation_line, f"question {q.key!r}: the explanation reads at grade {grade:.1f} "
                                                    f"(at most {MAX_EXPLANATION_GRADE:.0f}); use shorter sentences "
                                                    f"and plainer words")
    yield from phrase_cues([(path, o) for q in questions for o in q.options], CUE_P_VALUE)
    yield from _length_ranks(module)


def phrase_cues(options: list[tuple[str, OptionSpec]], p_value: float) -> Iterator[Problem]:
    """Phrases whose share among keys is too high or too low to be chance, given (file, option) pairs."""
    key_share = sum(o.correct for _path, o in options) / len(options)
    seen: dict[str, list[tuple[str, OptionSpec]]] = defaultdict(list)
    for path, option in options:
        for phrase in phrases(option.text):
            seen[phrase].append((path, option))
    by_options: dict[frozenset[int], list[str]] = defaultdict(list)
    for phrase, found in seen.items():
        by_options[frozenset(id(o) for _path, o in found)].append(phrase)
    reported: list[tuple[str, frozenset[int]]] = []
    for phrase in sorted(seen, key=lambda p: (p.count(" "), p)):
        found = seen[phrase]
        n, k = len(found), sum(o.correct for _path, o in found)
        if n < CUE_MIN_OPTIONS:
            continue
        too_keyed = binomial_tail(n, k, key_share, upper=True) < p_value
        if not too_keyed and binomial_tail(n, k, key_share, upper=False) >= p_value:
            continue
        where = frozenset(id(o) for _path, o in found)
        if any(where == other or (where <= other and f" {cue} " in f" {phrase} ") for cue, other in reported):
            continue  # the same options as a cue reported already, or a longer form of one
        reported.append((phrase, where))
        # named by the longest phrase those very options share: "privacy official", not "official"
        name = max(by_options[where], key=lambda p: (p.count(" "), p.split()[0] not in STOP_WORDS, p))
        side = "keyed options" if too_keyed else "distractors"
        marked = [(path, o) for path, o in found if o.correct == too_keyed]
        path = Counter(path for path, _o in marked).most_common(1)[0][0]
        lines = [o.line for p, o in marked if p == path]
        yield Problem(path, lines[0],
                      f"{name!r} is in {len(marked)} {side} and {n - len(marked)} other option(s) "
                      f"(here at lines {_lines(lines)}): a guesser can use it; put it on the other side too or reword")


def _length_ranks(module: ModuleSpec) -> Iterator[Problem]:
    single = [q for q in module.questions if not q.multiple]
    if len(single) < 5:
        return
    by_rank: dict[int, list[QuestionSpec]] = defaultdict(list)
    for q in single:
        by_rank[key_length_rank(q)].append(q)
    low, high = LONGEST_KEY_SHARE
    longest = len(by_rank[1]) / len(single)
    if not low <= longest <= high:
        yield Problem(module.questions_path, None,
                      f"the key is the longest option in {len(by_rank[1])} of {len(single)} single-answer questions "
                      f"({longest:.0%}; keep it between {low:.0%} and {high:.0%}); those questions are at lines "
                      f"{_lines([q.line for q in by_rank[1]], 40)}")
    for rank, items in sorted(by_rank.items()):
        if rank > 1 and len(items) / len(single) > TOP_RANK_SHARE:
            yield Problem(module.questions_path, None,
                          f"the key is the option of length rank {rank} in {len(items)} of {len(single)} "
                          f"single-answer questions (more than {TOP_RANK_SHARE:.0%}); lines "
                          f"{_lines([q.line for q in items], 40)}")


def check_course(course: CourseSpec) -> list[Problem]:
    problems = [p for module in course.modules for p in check_module(module)]
    everything = [(m.questions_path, o) for m in course.modules for q in m.questions for o in q.options]
    module_cues = {(p.path, p.line) for p in problems}
    if everything:
        problems += [p for p in phrase_cues(everything, COURSE_CUE_P_VALUE) if (p.path, p.line) not in module_cues]
    multiple = [(m, q) for m in course.modules for q in m.questions if q.multiple]
    if len(multiple) >= 3:
        counts = Counter(sum(o.correct for o in q.options) for _m, q in multiple)
        keys, most = counts.most_common(1)[0]
        if most / len(multiple) > 2 / 3:
            m, q = next((m, q) for m, q in multiple if sum(o.correct for o in q.options) == keys)
            problems.append(Problem(m.questions_path, q.line,
                                    f"{most} of the course's {len(multiple)} choose-all questions have exactly {keys} "
                                    f"keyed options; vary the number so it cannot be guessed"))
    return problems

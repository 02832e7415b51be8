"""Item-writing rules: the shipped course passes them, and each planted cue is caught with its file and line."""
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from app.courses.content import read_courses
from app.courses.item_rules import binomial_tail, check_course, check_module, key_length_rank, odd_opener

COURSES = Path(__file__).parent.parent / "courses"


@pytest.fixture(scope="module")
def shipped():
    courses, problems = read_courses(COURSES)
    assert problems == []
    return next(c for c in courses if c.slug == "hipaa-social-media")


def module_named(course, slug):
    return next(m for m in course.modules if m.slug == slug)


def messages(problems):
    return [str(p) for p in problems]


def test_the_shipped_course_passes_every_rule(shipped):
    assert messages(check_course(shipped)) == []


def single(module):
    return [q for q in module.questions if not q.multiple and len(q.options) == 4]


def test_an_odd_opener_is_named_at_its_line(shipped):
    module = module_named(shipped, "phi")
    q = single(module)[0]
    planted = replace(q, options=tuple(replace(o, text=("Report " if o.correct else "Post ") + o.text)
                                       for o in q.options))
    assert odd_opener(planted).correct
    found = messages(check_module(replace(module, questions=(planted, *module.questions[1:]))))
    key_line = next(o.line for o in q.options if o.correct)
    assert any(f"questions.yaml:{key_line}:" in m and "does not open with the word" in m for m in found)


def test_a_phrase_only_in_keys_or_only_in_distractors_is_a_cue(shipped):
    module = module_named(shipped, "consent")
    keyed = [replace(q, options=tuple(replace(o, text=o.text + " Ask the privacy compliance desk.") if o.correct
                                      else o for o in q.options)) for q in module.questions[:5]]
    found = messages(check_module(replace(module, questions=(*keyed, *module.questions[5:]))))
    assert any("'privacy compliance desk' is in" in m and "keyed options and 0 other" in m for m in found), found
    hedged = [replace(q, options=tuple(o if o.correct else replace(o, text=o.text + " Because it seems fine.")
                                       for o in q.options)) for q in module.questions[:8]]
    found = messages(check_module(replace(module, questions=(*hedged, *module.questions[8:]))))
    assert any(re.search(r"'[a-z ]*(because|seems)[a-z ]*' is in 2\d distractors and 0 other", m) for m in found), found


def test_keys_that_are_always_the_longest_are_caught(shipped):
    module = module_named(shipped, "claims")
    padded = tuple(replace(q, options=tuple(replace(o, text=o.text + " " + "x" * 300) if o.correct else o
                                            for o in q.options)) if not q.multiple else q
                   for q in module.questions)
    assert all(key_length_rank(q) == 1 for q in padded if not q.multiple)
    found = messages(check_module(replace(module, questions=padded)))
    assert any("the key is the longest option in" in m and "(100%" in m for m in found), found


def test_a_hard_explanation_is_named_at_its_line(shipped):
    module = module_named(shipped, "reviews")
    q = module.questions[3]
    hard = replace(q, explanation="Notwithstanding contemporaneous organizational prerogatives, unauthorized "
                                  "dissemination of individually identifiable information constitutes an "
                                  "impermissible disclosure necessitating comprehensive institutional evaluation.")
    found = messages(check_module(replace(module, questions=(*module.questions[:3], hard, *module.questions[4:]))))
    assert any(f"questions.yaml:{q.explanation_line}:" in m and "reads at grade" in m for m in found), found


def test_small_pools_no_permissive_keys_and_missing_lessons_are_reported(shipped):
    module = module_named(shipped, "tiktok")
    thin = tuple(replace(q, permissive=False, lesson="") for q in module.questions[:12])
    found = " ".join(messages(check_module(replace(module, questions=thin))))
    assert "needs at least 15" in found and "'permissive: true'" in found and "names no 'lesson'" in found


def test_choose_all_questions_must_vary_their_key_count(shipped):
    def two_keys(q):
        if not q.multiple:
            return q
        marks = [i < 2 for i in range(len(q.options))]
        return replace(q, options=tuple(replace(o, correct=c) for o, c in zip(q.options, marks)))
    uniform = replace(shipped, modules=tuple(replace(m, questions=tuple(two_keys(q) for q in m.questions))
                                             for m in shipped.modules))
    assert any("have exactly 2 keyed options" in m for m in messages(check_course(uniform)))


def test_the_binomial_tail_is_right():
    assert binomial_tail(4, 4, 0.25, upper=True) == pytest.approx(0.25 ** 4)
    assert binomial_tail(3, 0, 0.5, upper=False) == pytest.approx(0.125)


def test_courses_check_names_a_planted_cue_in_a_copy(cli, tmp_path):
    root = tmp_path / "courses"
    shutil.copytree(COURSES, root)
    questions = root / "hipaa-social-media" / "modules" / "workflow" / "questions.yaml"
    items = yaml.safe_load(questions.read_text(encoding="utf-8"))
    for item in items[:6]:  # "privacy official" in six keys and no distractor
        for option in item["options"]:
            if option.get("correct"):
                option["text"] += " Then loop in the designated privacy official."
    questions.write_text(yaml.safe_dump(items, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")
    result = cli("courses", "check", "--dir", str(root))
    assert result.exit_code == 1
    planted = r"'(then|loop|in|the|designated|privacy|official| )+'"
    assert re.search(r"workflow/questions\.yaml:\d+: " + planted + r" is in \d+ keyed options and 0 other",
                     result.output), result.output
    assert result.output.count("keyed options and 0 other") == 1  # one cue, one message

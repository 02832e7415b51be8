"""The real curriculum in courses/: complete, checkable and written for an 8th-grade reader."""
import re
from pathlib import Path

import pytest
import textstat

from app.courses.content import read_courses

COURSES = Path(__file__).parent.parent / "courses"
CORE = ["phi", "consent", "claims", "reviews", "workflow"]
PLATFORMS = ["facebook", "instagram", "linkedin", "youtube", "tiktok"]


@pytest.fixture(scope="module")
def course():
    courses, problems = read_courses(COURSES)
    assert problems == [], "\n".join(map(str, problems))
    return next(c for c in courses if c.slug == "hipaa-social-media")


def plain_text(markdown: str) -> str:
    """Lesson text as a reader meets it: no headings, link targets or Markdown marks."""
    lines = [line for line in markdown.splitlines() if not line.startswith("#")]
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", "\n".join(lines))
    text = re.sub(r"^\s*([-*+]|\d+\.)\s+", "", text, flags=re.MULTILINE)
    return re.sub(r"[*_>`|]", "", text)


def test_modules_and_certifications(course):
    assert [m.slug for m in course.modules] == CORE + PLATFORMS
    assert {m.slug: m.kind for m in course.modules} == {**{s: "core" for s in CORE},
                                                        **{s: "platform" for s in PLATFORMS}}
    certs = {c.slug: c for c in course.certifications}
    assert list(certs["core"].modules) == CORE
    for platform in PLATFORMS:
        assert certs[platform].modules == (platform,) and certs[platform].requires == ("core",)


def test_module_sizes(course):
    for module in course.modules:
        assert 3 <= len(module.lessons) <= 10, module.slug
        assert module.takeaways, module.slug
        # pools three times the draw, so retakes meet new questions (courses check enforces it too)
        if module.kind == "core":
            assert len(module.questions) >= 30 and module.draw == 10, module.slug
        else:
            assert len(module.questions) >= 15 and module.draw == 5, module.slug
        assert all(q.lesson for q in module.questions), module.slug


def test_every_question_is_complete(course):
    for module in course.modules:
        for q in module.questions:
            assert 3 <= len(q.options) <= 5, q.key
            assert all(o.feedback.strip() for o in q.options), q.key
            assert q.explanation.strip() and q.citation.strip(), q.key
            assert any(o.correct for o in q.options) and not all(o.correct for o in q.options), q.key


def test_no_duplicate_stems(course):
    stems = [" ".join(q.stem.casefold().split()) for m in course.modules for q in m.questions]
    assert len(stems) == len(set(stems))


@pytest.mark.parametrize("module_slug", CORE + PLATFORMS)
def test_lessons_read_at_about_8th_grade(course, module_slug):
    module = next(m for m in course.modules if m.slug == module_slug)
    for lesson in module.lessons:
        grade = textstat.flesch_kincaid_grade(plain_text(lesson.markdown))
        assert grade <= 9, f"{module_slug}/{lesson.slug} reads at grade {grade}"


def test_no_real_patient_identifiers(course):
    """Scenarios are fictional: no SSN-like, phone-like or MRN-like numbers anywhere."""
    pattern = re.compile(r"\b\d{3}-\d{2}-\d{4}\b|\(\d{3}\)\s*\d{3}-\d{4}|\bMRN[:#]?\s*\d{5,}")
    for module in course.modules:
        texts = [lesson.markdown for lesson in module.lessons] + [q.stem for q in module.questions]
        for text in texts:
            assert not pattern.search(text), module.slug


def test_curriculum_map_is_up_to_date(course):
    from app.courses.curriculum_map import render_map

    committed = (COURSES.parent / "docs" / "curriculum.md").read_text(encoding="utf-8")
    assert committed == render_map(course), "run: postready courses map > docs/curriculum.md"

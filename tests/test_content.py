"""The course checker names file and line for each problem; sync stores immutable versions."""
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.courses.content import read_courses
from app.courses.markdown import render_markdown
from app.courses.models import CourseVersion, Lesson, Question
from app.courses.services import current_version, sync_courses
from app.extensions import db
from tests.conftest import FIXTURE_COURSES


@pytest.fixture
def broken(tmp_path) -> Path:
    """A writable copy of the test course, to break in each test."""
    shutil.copytree(FIXTURE_COURSES, tmp_path / "courses")
    return tmp_path / "courses"


def problems_for(root) -> list[str]:
    return [str(p) for p in read_courses(root)[1]]


def test_fixture_course_is_valid():
    courses, problems = read_courses(FIXTURE_COURSES)
    assert problems == []
    assert [m.slug for m in courses[0].modules] == ["privacy", "replies", "instagram"]


def test_yaml_syntax_error_names_file_and_line(broken):
    path = broken / "test-course/modules/privacy/module.yaml"
    path.write_text("title: Privacy\nkind: core\nquiz:\n  draw: [4\n")
    assert any(p.startswith("test-course/modules/privacy/module.yaml:") and "invalid YAML" in p
               for p in problems_for(broken))


def test_missing_correct_option_names_the_question_line(broken):
    path = broken / "test-course/modules/replies/questions.yaml"
    text = path.read_text().replace("    correct: true\n", "", 1)
    path.write_text(text)
    problems = problems_for(broken)
    assert any("questions.yaml:3:" in p and "no option marked 'correct: true'" in p for p in problems), problems


def test_too_few_options_and_unknown_key_are_reported(broken):
    path = broken / "test-course/modules/instagram/questions.yaml"
    path.write_text(
        "- id: only-two\n  stem: Two options only?\n  options:\n"
        "  - {text: A, correct: true, feedback: yes}\n  - {text: B, feedback: no}\n"
        "  explanation: x\n  citation: y\n  hint: not a field\n"
    )
    problems = problems_for(broken)
    assert any("questions.yaml:3:" in p and "3 to 5 options" in p for p in problems), problems
    assert any("questions.yaml:8:" in p and "unknown key 'hint'" in p for p in problems), problems
    assert any("pool has 1 questions but quiz.draw asks for 2" in p for p in problems), problems


def test_all_of_the_above_and_duplicate_ids_are_refused(broken):
    path = broken / "test-course/modules/instagram/questions.yaml"
    text = path.read_text().replace("Bad post 1a", "All of the above").replace("id: ig-q2", "id: ig-q1")
    path.write_text(text)
    problems = problems_for(broken)
    assert any("all/none of the above" in p for p in problems)
    assert any("'ig-q1' is used twice" in p for p in problems)


def test_duplicate_stem_across_modules_is_refused(broken):
    path = broken / "test-course/modules/instagram/questions.yaml"
    path.write_text(path.read_text().replace("Instagram scenario 1: what now?",
                                             "Review reply scenario 1: how do you answer?"))
    assert any("repeats the stem of replies/replies-q1" in p for p in problems_for(broken))


def test_raw_html_and_javascript_links_in_lessons_are_reported_with_lines(broken):
    path = broken / "test-course/modules/replies/lessons/01-safe-reply.md"
    path.write_text("# Safe reply\n\nFine text.\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))\n")
    problems = problems_for(broken)
    assert any("01-safe-reply.md:5:" in p and "raw HTML" in p for p in problems), problems
    assert any("01-safe-reply.md:7:" in p and "javascript" in p for p in problems), problems


def test_lesson_without_title_and_bad_encoding(broken):
    lessons = broken / "test-course/modules/replies/lessons"
    (lessons / "02-untitled.md").write_text("No heading here\n")
    (lessons / "03-latin1.md").write_bytes("# Caf\xe9\n".encode("latin-1"))
    problems = problems_for(broken)
    assert any("02-untitled.md:1:" in p and "first line must be the lesson title" in p for p in problems)
    assert any("03-latin1.md" in p and "not valid UTF-8" in p for p in problems)


def test_course_level_mistakes(broken):
    path = broken / "test-course/course.yaml"
    text = (path.read_text().replace("pass_mark: 75", "pass_mark: 175").replace('version: "1.0"', "version: 1.0")
            .replace("modules: [instagram]", "modules: [instagramm]"))
    path.write_text(text)
    problems = problems_for(broken)
    assert any("course.yaml:6:" in p and "'pass_mark' must be a whole number from 1 to 100" in p for p in problems)
    assert any("course.yaml:3:" in p and "'version' must be quoted text" in p for p in problems)
    assert any("unknown module 'instagramm'" in p for p in problems)


def test_markdown_renders_safely():
    html = render_markdown(
        "Hello <script>alert(1)</script> <img src=x onerror=alert(1)>\n\n"
        "[bad](javascript:alert(1)) [bad2](JAVASCRIPT:alert(1)) [ok](https://www.hhs.gov/)"
    )
    assert "<script" not in html and "<img" not in html
    assert 'href="javascript' not in html.lower()
    assert '<a href="https://www.hhs.gov/">ok</a>' in html


def test_check_command_exits_1_and_names_the_file(cli, broken):
    (broken / "test-course/modules/privacy/module.yaml").write_text("title: x\nkind: wrong\nquiz:\n  draw: 4\n")
    result = cli("courses", "check", "--dir", str(broken))
    assert result.exit_code == 1
    assert "test-course/modules/privacy/module.yaml:2: 'kind' must be 'core' or 'platform'" in result.output


def test_sync_refuses_broken_content_and_loads_nothing(cli, broken):
    (broken / "test-course/course.yaml").write_text("slug: test-course\n")
    result = cli("courses", "sync", "--dir", str(broken))
    assert result.exit_code == 1 and "Nothing was loaded" in result.output
    assert db.session.scalar(select(func.count()).select_from(CourseVersion)) == 0


def test_sync_is_idempotent_and_versions_changes(app, broken):
    courses, _ = read_courses(broken)
    first = sync_courses(courses)[0]
    db.session.commit()
    assert first.created
    again = sync_courses(read_courses(broken)[0])[0]
    assert not again.created and again.version_id == first.version_id

    lesson = broken / "test-course/modules/privacy/lessons/01-what-is-phi.md"
    lesson.write_text(lesson.read_text() + "\nA new sentence.\n")
    changed = sync_courses(read_courses(broken)[0])[0]
    db.session.commit()
    assert changed.created and changed.version_id != first.version_id
    assert current_version("test-course").id == changed.version_id
    # The old version and its questions are still there, unchanged.
    old = db.session.get(CourseVersion, first.version_id)
    assert "A new sentence" not in old.modules[0].lessons[0].body_markdown
    assert db.session.scalar(select(func.count()).select_from(Question)) == 2 * 14
    assert db.session.scalar(select(func.count()).select_from(Lesson)) == 2 * 4


def test_sync_cli_reports_unchanged(cli):
    assert "new version stored" in cli("courses", "sync").output
    assert "unchanged" in cli("courses", "sync").output

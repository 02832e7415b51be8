"""Read and validate course files (see docs/course-format.md).

`read_courses(root)` returns the parsed courses and every problem found, each
naming its file and, where the parser knows it, the line. Nothing here touches
the database: `services.sync_courses` stores what this returns.
"""
import hashlib
import re
from pathlib import Path

from app.courses.file_reader import SLUG, FileReader, Problem
from app.courses.markdown import unsafe_markup
from app.courses.specs import CertificationSpec, CourseSpec, LessonSpec, ModuleSpec, OptionSpec, QuestionSpec
from app.courses.yaml_lines import LineMap

LESSON_FILE = re.compile(r"^(\d{2})-([a-z0-9-]+)\.md$")
BANNED_OPTION = re.compile(r"\b(all|none|both|neither) of the (above|below)\b", re.IGNORECASE)


def _hash_files(folder: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(file.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def _read_lesson(file: Path, root: Path, problems: list[Problem]) -> LessonSpec | None:
    reader = FileReader(str(file.relative_to(root)), problems)
    match = LESSON_FILE.match(file.name)
    if not match:
        reader.problem(None, "lesson file names must look like 01-lesson-slug.md")
        return None
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        reader.problem(None, f"not valid UTF-8 ({exc.reason} at byte {exc.start})")
        return None
    first, _, body = text.partition("\n")
    if not first.startswith("# ") or not first[2:].strip():
        reader.problem(1, "the first line must be the lesson title, like '# What counts as PHI'")
        return None
    if not body.strip():
        reader.problem(2, "the lesson has a title but no text")
    for line, message in unsafe_markup(body):
        reader.problem(line + 1 if line else None, message)
    return LessonSpec(slug=match.group(2), title=first[2:].strip(), markdown=body.strip() + "\n")


def _read_question(item, reader: FileReader, seen_keys: set[str]) -> QuestionSpec | None:
    data = reader.mapping(item, "each question")
    if data is None:
        return None
    reader.unknown_keys(data, {"id", "stem", "options", "explanation", "citation", "lesson", "rule", "permissive"})
    key = data.get("id")
    if not isinstance(key, str) or not SLUG.match(key):
        reader.problem(data.line_of("id"), f"question 'id' must be a slug like 'hallway-selfie', not {key!r}")
        key = ""
    elif key in seen_keys:
        reader.problem(data.line_of("id"), f"question id {key!r} is used twice in this module")
    seen_keys.add(key)
    stem = reader.text(data, "stem")
    explanation = reader.text(data, "explanation")
    citation = reader.text(data, "citation", max_len=500)
    lesson = reader.text(data, "lesson", required=False, max_len=60)
    rule = reader.text(data, "rule", required=False, max_len=60)
    for name, value in (("lesson", lesson), ("rule", rule)):
        if value and not SLUG.match(value):
            reader.problem(data.line_of(name), f"{name!r} must be a slug, not {value!r}")
    permissive = data.get("permissive", False)
    if not isinstance(permissive, bool):
        reader.problem(data.line_of("permissive"), "'permissive' must be true or false")
        permissive = False
    raw_options = data.get("options")
    options: list[OptionSpec] = []
    if not isinstance(raw_options, list) or not 3 <= len(raw_options) <= 5:
        reader.problem(data.line_of("options"), f"question {key!r} needs 3 to 5 options")
        raw_options = raw_options if isinstance(raw_options, list) else []
    for raw in raw_options:
        option = reader.mapping(raw, "each option", data.line_of("options"))
        if option is None:
            continue
        reader.unknown_keys(option, {"text", "feedback", "correct"})
        text = reader.text(option, "text", max_len=2000)
        if BANNED_OPTION.search(text):
            reader.problem(option.line, "options are shuffled, so 'all/none of the above' cannot be used")
        correct = option.get("correct", False)
        if not isinstance(correct, bool):
            reader.problem(option.line_of("correct"), "'correct' must be true or false")
            correct = False
        options.append(OptionSpec(text=text, feedback=reader.text(option, "feedback"), correct=correct,
                                  line=option.line))
    if options and not any(o.correct for o in options):
        reader.problem(data.line_of("options"), f"question {key!r} has no option marked 'correct: true'")
    if options and all(o.correct for o in options):
        reader.problem(data.line_of("options"), f"question {key!r} marks every option correct")
    texts = [o.text.casefold() for o in options]
    if len(set(texts)) != len(texts):
        reader.problem(data.line_of("options"), f"question {key!r} has two options with the same text")
    return QuestionSpec(key, stem, tuple(options), explanation, citation, lesson=lesson, rule=rule,
                        permissive=permissive, line=data.line, explanation_line=data.line_of("explanation"))


def _read_module(folder: Path, root: Path, problems: list[Problem]) -> ModuleSpec | None:
    module_file = folder / "module.yaml"
    rel = str(module_file.relative_to(root))
    reader = FileReader(rel, problems)
    if not module_file.is_file():
        reader.problem(None, "module.yaml is missing")
        return None
    data = reader.mapping(reader.yaml_file(module_file), "module.yaml", 1)
    if data is None:
        return None
    reader.unknown_keys(data, {"title", "kind", "summary", "estimated_minutes", "quiz", "takeaways"})
    kind = data.get("kind")
    if kind not in ("core", "platform"):
        reader.problem(data.line_of("kind"), f"'kind' must be 'core' or 'platform', not {kind!r}")
    quiz = reader.mapping(data.get("quiz"), "'quiz'", data.line_of("quiz")) or LineMap()
    draw = reader.integer(quiz, "draw", 1, 100) if quiz else 1
    takeaways = data.get("takeaways") or []
    if not isinstance(takeaways, list) or not all(isinstance(t, str) and t.strip() for t in takeaways):
        reader.problem(data.line_of("takeaways"), "'takeaways' must be a list of sentences")
        takeaways = []

    lesson_dir = folder / "lessons"
    lesson_files = sorted(lesson_dir.glob("*")) if lesson_dir.is_dir() else []
    lessons = [lesson for f in lesson_files if (lesson := _read_lesson(f, root, problems))]
    if not lesson_files:
        reader.problem(None, f"no lessons: add Markdown files under {lesson_dir.relative_to(root)}/")
    positions = [LESSON_FILE.match(f.name).group(1) for f in lesson_files if LESSON_FILE.match(f.name)]
    if len(set(positions)) != len(positions):
        reader.problem(None, "two lesson files share a position number")
    slugs = [lesson.slug for lesson in lessons]
    if len(set(slugs)) != len(slugs):
        reader.problem(None, "two lessons share a slug")

    questions_file = folder / "questions.yaml"
    q_reader = FileReader(str(questions_file.relative_to(root)), problems)
    questions: list[QuestionSpec] = []
    if not questions_file.is_file():
        q_reader.problem(None, "questions.yaml is missing")
    else:
        items = q_reader.yaml_file(questions_file)
        if not isinstance(items, list):
            if items is not None:
                q_reader.problem(1, "questions.yaml must be a list of questions")
            items = []
        seen: set[str] = set()
        questions = [q for item in items if (q := _read_question(item, q_reader, seen))]
        if len(questions) < draw:
            q_reader.problem(None, f"the pool has {len(questions)} questions but quiz.draw asks for {draw}")
        lesson_slugs = set(slugs)
        for question in questions:
            if question.lesson and question.lesson not in lesson_slugs:
                q_reader.problem(question.line, f"question {question.key!r} names lesson {question.lesson!r}, "
                                 f"which is not in this module (lessons: {', '.join(sorted(lesson_slugs))})")
    return ModuleSpec(
        slug=folder.name,
        kind=kind if isinstance(kind, str) else "",
        title=reader.text(data, "title", max_len=200),
        summary=reader.text(data, "summary", required=False, max_len=1000),
        estimated_minutes=reader.integer(data, "estimated_minutes", 1, 600, default=15),
        draw=draw,
        takeaways=tuple(t.strip() for t in takeaways),
        lessons=tuple(lessons),
        questions=tuple(questions),
        content_hash=_hash_files(folder),
        questions_path=q_reader.path,
    )


def _read_certifications(data: LineMap, reader: FileReader, module_slugs: set[str]) -> list[CertificationSpec]:
    raw = data.get("certifications")
    if not isinstance(raw, list) or not raw:
        reader.problem(data.line_of("certifications"), "'certifications' must list at least one certification")
        return []
    result: list[CertificationSpec] = []
    for item in raw:
        cert = reader.mapping(item, "each certification", data.line_of("certifications"))
        if cert is None:
            continue
        reader.unknown_keys(cert, {"slug", "title", "modules", "requires"})
        slug = cert.get("slug")
        if not isinstance(slug, str) or not SLUG.match(slug):
            reader.problem(cert.line_of("slug"), f"certification 'slug' must be a slug, not {slug!r}")
            continue
        if any(c.slug == slug for c in result):
            reader.problem(cert.line_of("slug"), f"certification {slug!r} is defined twice")
        modules = reader.slug_list(cert, "modules")
        for m in modules:
            if m not in module_slugs:
                reader.problem(cert.line_of("modules"), f"certification {slug!r} names unknown module {m!r}")
        requires = reader.slug_list(cert, "requires", required=False)
        defined = {c.slug for c in result}
        for r in requires:
            if r not in defined:
                reader.problem(
                    cert.line_of("requires"),
                    f"certification {slug!r} requires {r!r}, which must be defined above it",
                )
        result.append(CertificationSpec(slug, reader.text(cert, "title", max_len=200), modules, requires))
    return result


def read_course(folder: Path, root: Path, problems: list[Problem]) -> CourseSpec | None:
    course_file = folder / "course.yaml"
    reader = FileReader(str(course_file.relative_to(root)), problems)
    data = reader.mapping(reader.yaml_file(course_file), "course.yaml", 1)
    if data is None:
        return None
    reader.unknown_keys(
        data,
        {"slug", "title", "version", "change", "summary", "pass_mark", "certificate_validity_days",
         "retake", "modules", "certifications"},
    )
    if data.get("slug") != folder.name:
        reader.problem(data.line_of("slug"), f"'slug' must equal the folder name {folder.name!r}")
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        reader.problem(data.line_of("version"), "'version' must be quoted text, like \"2026.1\"")
        version = ""
    change = data.get("change")
    if change not in ("material", "minor"):
        reader.problem(data.line_of("change"), f"'change' must be 'material' or 'minor', not {change!r}")
    retake = reader.mapping(data.get("retake", LineMap()), "'retake'", data.line_of("retake")) or LineMap()
    module_slugs = reader.slug_list(data, "modules")
    modules = []
    for slug in module_slugs:
        module_folder = folder / "modules" / slug
        if not module_folder.is_dir():
            reader.problem(data.line_of("modules"), f"module {slug!r} has no folder modules/{slug}/")
            continue
        module = _read_module(module_folder, root, problems)
        if module:
            modules.append(module)
    modules_dir = folder / "modules"
    for extra in sorted(modules_dir.iterdir() if modules_dir.is_dir() else []):
        if extra.is_dir() and extra.name not in module_slugs:
            reader.problem(data.line_of("modules"), f"folder modules/{extra.name}/ is not listed in 'modules'")
    _check_unique_stems(modules, folder, root, problems)
    return CourseSpec(
        slug=folder.name,
        title=reader.text(data, "title", max_len=200),
        version=version.strip(),
        change=change if isinstance(change, str) else "",
        summary=reader.text(data, "summary", required=False, max_len=2000),
        pass_mark=reader.integer(data, "pass_mark", 1, 100),
        validity_days=reader.integer(data, "certificate_validity_days", 1, 3650, default=365),
        max_attempts_per_day=reader.integer(retake, "max_attempts_per_day", 1, 50, default=3),
        cooldown_minutes=reader.integer(retake, "cooldown_minutes", 0, 1440, default=0),
        modules=tuple(modules),
        certifications=tuple(_read_certifications(data, reader, set(module_slugs))),
        content_hash=_hash_files(folder),
    )


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def _check_unique_stems(modules, folder: Path, root: Path, problems: list[Problem]) -> None:
    seen: dict[str, str] = {}
    for module in modules:
        for question in module.questions:
            stem = _normal(question.stem)
            if stem and stem in seen:
                path = (folder / "modules" / module.slug / "questions.yaml").relative_to(root)
                problems.append(
                    Problem(str(path), None, f"question {question.key!r} repeats the stem of {seen[stem]}")
                )
            seen.setdefault(stem, f"{module.slug}/{question.key}")


def read_courses(root: str | Path) -> tuple[list[CourseSpec], list[Problem]]:
    """Every course under root (each folder with a course.yaml), and all problems."""
    root = Path(root)
    problems: list[Problem] = []
    if not root.is_dir():
        return [], [Problem(str(root), None, "courses folder not found")]
    courses = []
    for folder in sorted(p for p in root.iterdir() if (p / "course.yaml").is_file()):
        course = read_course(folder, root, problems)
        if course:
            courses.append(course)
    if not courses and not problems:
        problems.append(Problem(str(root), None, "no course found (a course is a folder with course.yaml)"))
    return courses, problems

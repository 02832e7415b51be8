"""The checker's reviewed data, `courses/post-checks.yaml`: what each finding says and which lesson
teaches it, the word lists that give a post its context, and the claims and disclosure rules.

Read and validated like a course file: every problem is named by file and line, and
`postready courses check` fails on any.
"""
import re
from dataclasses import dataclass
from pathlib import Path

from app.courses.file_reader import FileReader, Problem
from app.courses.yaml_lines import LineMap

FILE_NAME = "post-checks.yaml"
# Every kind of finding the checker can report (the API and the labelled set use these names).
PRIVACY_KINDS = ("name", "date", "age_over_89", "phone", "email", "record_number", "room_bed", "address",
                 "patient_url", "photo_filename", "identifying_combination", "confirms_patient",
                 "sensitive_condition", "child")
CLAIM_KINDS = ("unsupported_claim", "results_without_typical", "missing_ad_disclosure", "review_incentive")
KINDS = PRIVACY_KINDS + CLAIM_KINDS
LEXICONS = ("patient_context", "patient_ref", "personal_care", "staff_role", "staff_context", "consent", "sensitive",
            "person", "child", "child_patient", "confirms_patient", "reply_opening", "recent_time", "tally",
            "identifying_role", "contact_is_ours", "not_a_room", "not_a_name", "not_a_claim",
            "not_a_person", "disguised", "identifying_place")
SEVERITIES = ("stop", "review")


@dataclass(frozen=True)
class KindInfo:
    kind: str
    message: str
    module: str
    lesson: str
    rule: str
    severity: str


@dataclass(frozen=True)
class PatternRule:
    id: str
    kind: str
    patterns: tuple[re.Pattern, ...]
    unless: tuple[re.Pattern, ...]  # any of these anywhere in the post: the rule does not apply
    message: str  # empty: the kind's message


@dataclass(frozen=True)
class Catalogue:
    course: str
    kinds: dict[str, KindInfo]
    lexicons: dict[str, re.Pattern]
    rules: tuple[PatternRule, ...]

    def lesson_path(self, kind: str) -> str:
        info = self.kinds[kind]
        return f"/learn/{self.course}/{info.module}/{info.lesson}"


def _regex(reader: FileReader, text, line: int | None, what: str) -> re.Pattern | None:
    if not isinstance(text, str) or not text.strip():
        reader.problem(line, f"{what} must be non-empty text (a regular expression)")
        return None
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as exc:
        reader.problem(line, f"{what} is not a valid regular expression: {exc}")
        return None


def _regex_list(reader: FileReader, data: LineMap, key: str, required: bool) -> tuple[re.Pattern, ...]:
    items = data.get(key)
    if items is None and not required:
        return ()
    if not isinstance(items, list) or not items:
        reader.problem(data.line_of(key), f"{key!r} must be a non-empty list of regular expressions")
        return ()
    compiled = [_regex(reader, item, data.line_of(key), f"an item of {key!r}") for item in items]
    return tuple(c for c in compiled if c is not None)


def read_catalogue(directory: Path, lessons: dict[str, set[str]],
                   course: str) -> tuple[Catalogue | None, list[Problem]]:
    """`lessons`: each module's lesson slugs in `course`, to check every finding names a real lesson."""
    file = Path(directory) / FILE_NAME
    reader = FileReader(FILE_NAME)
    if not file.is_file():
        reader.problem(None, "missing: the pre-publish checker's rules and lessons live here")
        return None, reader.problems
    data = reader.mapping(reader.yaml_file(file), "the file")
    if data is None:
        return None, reader.problems
    reader.unknown_keys(data, {"kinds", "lexicons", "rules"})
    kinds = _read_kinds(reader, data, lessons, course)
    lexicons = _read_lexicons(reader, data)
    rules = _read_rules(reader, data)
    if reader.problems:
        return None, reader.problems
    return Catalogue(course, kinds, lexicons, rules), []


def _read_kinds(reader: FileReader, data: LineMap, lessons: dict[str, set[str]], course: str) -> dict[str, KindInfo]:
    section = reader.mapping(data.get("kinds"), "'kinds'", data.line_of("kinds")) or LineMap()
    kinds = {}
    for kind in section:
        if kind not in KINDS:
            reader.problem(section.line_of(kind), f"unknown kind {kind!r} (known: {', '.join(KINDS)})")
    for kind in KINDS:
        entry = reader.mapping(section.get(kind), f"kind {kind!r}", section.line_of(kind) or section.line)
        if entry is None:
            continue
        reader.unknown_keys(entry, {"message", "lesson", "rule", "severity"})
        lesson = reader.text(entry, "lesson")
        module, _, slug = lesson.partition("/")
        if lesson and slug not in lessons.get(module, set()):
            reader.problem(entry.line_of("lesson"), f"lesson {lesson!r} is not a lesson of course {course!r} "
                                                    "(write module/lesson, e.g. phi/what-counts-as-phi)")
        severity = reader.text(entry, "severity")
        if severity and severity not in SEVERITIES:
            reader.problem(entry.line_of("severity"), f"severity must be one of {', '.join(SEVERITIES)}")
        kinds[kind] = KindInfo(kind, reader.text(entry, "message", max_len=400), module, slug,
                               reader.text(entry, "rule", max_len=300), severity)
    return kinds


def _read_lexicons(reader: FileReader, data: LineMap) -> dict[str, re.Pattern]:
    section = reader.mapping(data.get("lexicons"), "'lexicons'", data.line_of("lexicons")) or LineMap()
    reader.unknown_keys(section, set(LEXICONS))
    lexicons = {}
    for name in LEXICONS:
        items = section.get(name)
        if not isinstance(items, list) or not items or not all(isinstance(i, str) and i.strip() for i in items):
            reader.problem(section.line_of(name) or section.line, f"lexicon {name!r} must be a non-empty list of "
                                                                   "words or phrases (regular expressions)")
            continue
        # Whole words or phrases: not inside a longer word, even where an item starts with # or @.
        joined = _regex(reader, r"(?<!\w)(?:" + "|".join(items) + r")(?!\w)", section.line_of(name),
                        f"lexicon {name!r}")
        if joined is not None:
            lexicons[name] = joined
    return lexicons


def _read_rules(reader: FileReader, data: LineMap) -> tuple[PatternRule, ...]:
    items = data.get("rules")
    if not isinstance(items, list) or not items:
        reader.problem(data.line_of("rules"), "'rules' must be a non-empty list")
        return ()
    rules, seen = [], set()
    for item in items:
        entry = reader.mapping(item, "a rule", data.line_of("rules"))
        if entry is None:
            continue
        reader.unknown_keys(entry, {"id", "kind", "patterns", "unless", "message"})
        rule_id, kind = reader.text(entry, "id", max_len=60), reader.text(entry, "kind")
        if rule_id in seen:
            reader.problem(entry.line_of("id"), f"rule id {rule_id!r} is used twice")
        seen.add(rule_id)
        if kind and kind not in CLAIM_KINDS:
            reader.problem(entry.line_of("kind"), f"a rule's kind must be one of {', '.join(CLAIM_KINDS)}")
        rules.append(PatternRule(rule_id, kind, _regex_list(reader, entry, "patterns", True),
                                 _regex_list(reader, entry, "unless", False),
                                 reader.text(entry, "message", required=False, max_len=400)))
    return tuple(rules)

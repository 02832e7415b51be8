"""Reading one YAML content file field by field, collecting every problem with its line.

Shared by the course loader (content.py) and the posting-rights policy (rights/policy.py).
"""
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from app.courses.yaml_lines import LineMap, load_yaml

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"



@dataclass
class FileReader:
    """Collects problems for one file while fields are read from it."""

    path: str
    problems: list[Problem] = field(default_factory=list)

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def yaml_file(self, file: Path):
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            self.problem(None, f"not valid UTF-8 ({exc.reason} at byte {exc.start})")
            return None
        return self.yaml_text(text)

    def yaml_text(self, text: str):
        """YAML text (a file's, or a Markdown header padded so its lines are the file's); problems named by line."""
        try:
            return load_yaml(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            reason = getattr(exc, "problem", None) or str(exc)
            self.problem(mark.line + 1 if mark else None, f"invalid YAML: {reason}")
            return None

    def mapping(self, value, what: str, line: int | None = None) -> LineMap | None:
        if not isinstance(value, LineMap):
            self.problem(line, f"{what} must be a mapping of keys to values")
            return None
        return value

    def unknown_keys(self, data: LineMap, allowed: set[str]) -> None:
        for key in data:
            if key not in allowed:
                self.problem(data.line_of(key), f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")

    def text(self, data: LineMap, key: str, required: bool = True, max_len: int = 20000) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.problem(data.line, f"missing required key {key!r}")
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.problem(data.line_of(key), f"{key!r} must be non-empty text")
            return ""
        if len(value) > max_len:
            self.problem(data.line_of(key), f"{key!r} is longer than {max_len} characters")
        return value.strip()

    def integer(self, data: LineMap, key: str, low: int, high: int, default: int | None = None) -> int:
        value = data.get(key, default)
        if value is None:
            self.problem(data.line, f"missing required key {key!r}")
            return low
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem(data.line_of(key), f"{key!r} must be a whole number from {low} to {high}, not {value!r}")
            return low
        return value

    def slug_list(self, data: LineMap, key: str, required: bool = True) -> tuple[str, ...]:
        value = data.get(key)
        if value is None and not required:
            return ()
        if not isinstance(value, list) or (required and not value):
            self.problem(data.line_of(key), f"{key!r} must be a non-empty list of slugs")
            return ()
        bad = [v for v in value if not isinstance(v, str) or not SLUG.match(v)]
        if bad:
            self.problem(data.line_of(key), f"{key!r} has invalid slugs: {bad!r}")
        if len(set(value)) != len(value) and not bad:
            self.problem(data.line_of(key), f"{key!r} lists a slug twice")
        return tuple(v for v in value if isinstance(v, str))

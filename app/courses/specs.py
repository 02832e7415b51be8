"""What a course file says, once read and validated: plain frozen dataclasses (no database)."""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class OptionSpec:
    text: str
    feedback: str
    correct: bool
    line: int | None = field(default=None, compare=False)  # where it is written, for item-writing messages


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    stem: str
    options: tuple[OptionSpec, ...]
    explanation: str
    citation: str
    lesson: str = ""           # slug of the lesson that teaches it (re-read after a miss)
    rule: str = ""             # questions sharing a rule are variants of one another: one per attempt
    permissive: bool = False   # the key says the post is fine (or fine with one change)
    line: int | None = field(default=None, compare=False)
    explanation_line: int | None = field(default=None, compare=False)

    @property
    def multiple(self) -> bool:
        return sum(o.correct for o in self.options) > 1


@dataclass(frozen=True)
class LessonSpec:
    slug: str
    title: str
    markdown: str


@dataclass(frozen=True)
class ModuleSpec:
    slug: str
    kind: str
    title: str
    summary: str
    estimated_minutes: int
    draw: int
    takeaways: tuple[str, ...]
    lessons: tuple[LessonSpec, ...]
    questions: tuple[QuestionSpec, ...]
    content_hash: str
    questions_path: str = field(default="", compare=False)


@dataclass(frozen=True)
class CertificationSpec:
    slug: str
    title: str
    modules: tuple[str, ...]
    requires: tuple[str, ...]


@dataclass(frozen=True)
class CourseSpec:
    slug: str
    title: str
    version: str
    change: str
    summary: str
    pass_mark: int
    validity_days: int
    max_attempts_per_day: int
    cooldown_minutes: int
    modules: tuple[ModuleSpec, ...]
    certifications: tuple[CertificationSpec, ...]
    content_hash: str

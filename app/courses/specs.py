"""What a course file says, once read and validated: plain frozen dataclasses (no database)."""
from dataclasses import dataclass


@dataclass(frozen=True)
class OptionSpec:
    text: str
    feedback: str
    correct: bool


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    stem: str
    options: tuple[OptionSpec, ...]
    explanation: str
    citation: str

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

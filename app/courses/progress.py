"""Progress rules as pure functions: what a person has done in a module, and what is next."""
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ModuleState(StrEnum):
    NOT_STARTED = "not started"
    READING = "reading"
    QUIZ_READY = "ready for quiz"
    COMPLETED = "completed"


@dataclass(frozen=True)
class ModuleProgress:
    lessons_total: int
    lessons_viewed: int
    next_lesson_index: int | None  # 0-based index of the first unread lesson
    attempts: int
    completed_at: datetime | None

    @property
    def quiz_unlocked(self) -> bool:
        return self.lessons_viewed >= self.lessons_total

    @property
    def state(self) -> ModuleState:
        if self.completed_at:
            return ModuleState.COMPLETED
        if self.quiz_unlocked:
            return ModuleState.QUIZ_READY
        if self.lessons_viewed or self.attempts:
            return ModuleState.READING
        return ModuleState.NOT_STARTED

    @property
    def percent(self) -> int:
        """Lessons count for most of a module; the passed quiz for the last fifth."""
        if self.completed_at:
            return 100
        return 80 * self.lessons_viewed // max(self.lessons_total, 1)


def module_progress(
    lesson_ids: Sequence[int], viewed: set[int], attempts: int, completed_at: datetime | None
) -> ModuleProgress:
    unread = [i for i, lesson_id in enumerate(lesson_ids) if lesson_id not in viewed]
    return ModuleProgress(
        lessons_total=len(lesson_ids),
        lessons_viewed=len(lesson_ids) - len(unread),
        next_lesson_index=unread[0] if unread else None,
        attempts=attempts,
        completed_at=completed_at,
    )


@dataclass(frozen=True)
class CourseProgress:
    modules_total: int
    modules_completed: int
    percent: int
    next_module_index: int | None


def course_progress(modules: Sequence[ModuleProgress]) -> CourseProgress:
    done = sum(1 for m in modules if m.completed_at)
    pending = [i for i, m in enumerate(modules) if not m.completed_at]
    percent = sum(m.percent for m in modules) // max(len(modules), 1)
    return CourseProgress(len(modules), done, percent, pending[0] if pending else None)

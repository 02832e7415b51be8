"""A person's progress through a course version, in a fixed number of queries."""
from dataclasses import dataclass

from sqlalchemy import func, select

from app.courses.models import CourseVersion, Lesson, LessonView, Module, ModuleCompletion
from app.courses.progress import CourseProgress, ModuleProgress, course_progress, module_progress
from app.extensions import db
from app.quizzes.models import Attempt


@dataclass(frozen=True)
class ModuleRow:
    module: Module
    progress: ModuleProgress


@dataclass(frozen=True)
class CourseOverview:
    version: CourseVersion
    modules: list[ModuleRow]
    progress: CourseProgress


def course_overview(user, version: CourseVersion) -> CourseOverview:
    modules = list(version.modules)
    module_ids = [m.id for m in modules]
    lessons: dict[int, list[int]] = {m.id: [] for m in modules}
    for module_id, lesson_id in db.session.execute(
        select(Lesson.module_id, Lesson.id).where(Lesson.module_id.in_(module_ids)).order_by(Lesson.position)
    ):
        lessons[module_id].append(lesson_id)
    viewed = set(db.session.scalars(
        select(LessonView.lesson_id).join(Lesson)
        .where(LessonView.user_id == user.id, Lesson.module_id.in_(module_ids))
    ))
    attempts = dict(db.session.execute(
        select(Attempt.module_id, func.count()).where(Attempt.user_id == user.id, Attempt.module_id.in_(module_ids))
        .group_by(Attempt.module_id)
    ).all())
    # Completions count by module slug across this course's versions.
    completed = dict(db.session.execute(
        select(Module.slug, func.max(ModuleCompletion.completed_at))
        .join(Module, ModuleCompletion.module_id == Module.id)
        .join(CourseVersion, Module.course_version_id == CourseVersion.id)
        .where(ModuleCompletion.user_id == user.id, CourseVersion.course_id == version.course_id)
        .group_by(Module.slug)
    ).all())
    rows = [
        ModuleRow(m, module_progress(lessons[m.id], viewed, attempts.get(m.id, 0), completed.get(m.slug)))
        for m in modules
    ]
    return CourseOverview(version, rows, course_progress([r.progress for r in rows]))

"""Course services: load files into versioned rows, read the current version, record progress."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.courses.markdown import render_markdown
from app.courses.models import (
    Certification,
    Course,
    CourseVersion,
    Lesson,
    LessonView,
    Module,
    Question,
    QuestionOption,
)
from app.courses.specs import CourseSpec
from app.extensions import db
from app.timestamps import utcnow
from app.unique_rows import insert_ignoring_conflicts


@dataclass(frozen=True)
class SyncResult:
    slug: str
    version_label: str
    created: bool
    version_id: int


def sync_courses(specs: list[CourseSpec], now: datetime | None = None) -> list[SyncResult]:
    """Store each course unless its exact content is stored already (a new version loaded at `now`,
    default the present moment). Caller commits."""
    return [_sync_course(spec, now or utcnow()) for spec in specs]


def _sync_course(spec: CourseSpec, now: datetime) -> SyncResult:
    course = db.session.scalar(select(Course).where(Course.slug == spec.slug))
    if course is None:
        course = Course(slug=spec.slug)
        db.session.add(course)
        db.session.flush()
    existing = db.session.scalar(
        select(CourseVersion).where(
            CourseVersion.course_id == course.id, CourseVersion.content_hash == spec.content_hash
        )
    )
    if existing:
        return SyncResult(spec.slug, existing.version_label, False, existing.id)
    version = CourseVersion(
        course=course,
        content_hash=spec.content_hash,
        version_label=spec.version,
        change_kind=spec.change,
        title=spec.title,
        summary=spec.summary,
        pass_mark=spec.pass_mark,
        validity_days=spec.validity_days,
        max_attempts_per_day=spec.max_attempts_per_day,
        cooldown_minutes=spec.cooldown_minutes,
        loaded_at=now,
    )
    db.session.add(version)
    for position, m in enumerate(spec.modules, start=1):
        module = Module(
            course_version=version, slug=m.slug, position=position, kind=m.kind, title=m.title,
            summary=m.summary, estimated_minutes=m.estimated_minutes, draw_count=m.draw,
            takeaways=list(m.takeaways), content_hash=m.content_hash,
        )
        db.session.add(module)
        lessons = {lesson.slug: Lesson(
            module=module, slug=lesson.slug, position=lp, title=lesson.title,
            body_markdown=lesson.markdown, body_html=render_markdown(lesson.markdown),
        ) for lp, lesson in enumerate(m.lessons, start=1)}
        db.session.add_all(lessons.values())
        for qp, q in enumerate(m.questions, start=1):
            question = Question(
                module=module, key=q.key, position=qp, stem=q.stem, explanation=q.explanation,
                citation=q.citation, multiple=q.multiple, lesson=lessons.get(q.lesson),
                variant_rule=q.rule or None, permissive=q.permissive,
            )
            db.session.add(question)
            for op, o in enumerate(q.options, start=1):
                db.session.add(QuestionOption(
                    question=question, position=op, text=o.text, is_correct=o.correct, feedback=o.feedback,
                ))
    for position, c in enumerate(spec.certifications, start=1):
        db.session.add(Certification(
            course_version=version, slug=c.slug, position=position, title=c.title,
            module_slugs=list(c.modules), requires=list(c.requires),
        ))
    db.session.flush()
    return SyncResult(spec.slug, spec.version, True, version.id)


_NEWEST_PER_COURSE = select(func.max(CourseVersion.id)).group_by(CourseVersion.course_id)


def current_versions() -> list[CourseVersion]:
    """The newest version of every course."""
    return list(db.session.scalars(
        select(CourseVersion).where(CourseVersion.id.in_(_NEWEST_PER_COURSE)).order_by(CourseVersion.title)
    ))


def newest_version_per_course():
    """The ids of the newest version of every course, as a subquery."""
    return _NEWEST_PER_COURSE


def current_version_ids() -> list[int]:
    """The newest version of every course, as ids."""
    return list(db.session.scalars(_NEWEST_PER_COURSE))


def current_version(course_slug: str) -> CourseVersion | None:
    return db.session.scalar(
        select(CourseVersion).join(Course).where(Course.slug == course_slug)
        .order_by(CourseVersion.id.desc()).limit(1)
    )


def current_module(course_slug: str, module_slug: str) -> Module | None:
    version = current_version(course_slug)
    if version is None:
        return None
    return db.session.scalar(
        select(Module).where(Module.course_version_id == version.id, Module.slug == module_slug)
    )


def record_lesson_view(user, lesson: Lesson) -> None:
    """Remember the first time this person opened the lesson; repeat views are no-ops."""
    insert_ignoring_conflicts(db.session, LessonView, [{"user_id": user.id, "lesson_id": lesson.id,
                                                        "viewed_at": utcnow()}], ["user_id", "lesson_id"])


def viewed_lesson_ids(user, module: Module) -> set[int]:
    return set(db.session.scalars(
        select(LessonView.lesson_id).join(Lesson).where(
            LessonView.user_id == user.id, Lesson.module_id == module.id
        )
    ))

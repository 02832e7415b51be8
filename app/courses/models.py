"""Course content as immutable, versioned rows, and each person's progress.

A sync never edits a stored version: changed files create a new
CourseVersion with its own modules, lessons and questions, so attempts and
certificates keep pointing at exactly what the person was taught and tested on.
"""
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.timestamps import UTCDateTime, utcnow


class Course(db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)

    versions: Mapped[list["CourseVersion"]] = relationship(
        back_populates="course", order_by="CourseVersion.id"
    )


class CourseVersion(db.Model):
    __tablename__ = "course_versions"
    __table_args__ = (
        UniqueConstraint("course_id", "content_hash"),
        CheckConstraint("change_kind IN ('material', 'minor')", name="change_kind_known"),
        CheckConstraint("pass_mark BETWEEN 1 AND 100", name="pass_mark_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    version_label: Mapped[str] = mapped_column(String(40))
    change_kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    pass_mark: Mapped[int]
    validity_days: Mapped[int]
    max_attempts_per_day: Mapped[int]
    cooldown_minutes: Mapped[int]
    loaded_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    course: Mapped[Course] = relationship(back_populates="versions")
    modules: Mapped[list["Module"]] = relationship(
        back_populates="course_version", order_by="Module.position"
    )
    certifications: Mapped[list["Certification"]] = relationship(
        back_populates="course_version", order_by="Certification.position"
    )


class Module(db.Model):
    __tablename__ = "modules"
    __table_args__ = (
        UniqueConstraint("course_version_id", "slug"),
        CheckConstraint("kind IN ('core', 'platform')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    slug: Mapped[str] = mapped_column(String(60))
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    estimated_minutes: Mapped[int] = mapped_column(default=15)
    draw_count: Mapped[int]
    takeaways: Mapped[list] = mapped_column(JSON, default=list)
    # Hash of this module's own files: tells a material change apart per module.
    content_hash: Mapped[str] = mapped_column(String(64))

    course_version: Mapped[CourseVersion] = relationship(back_populates="modules")
    lessons: Mapped[list["Lesson"]] = relationship(back_populates="module", order_by="Lesson.position")
    questions: Mapped[list["Question"]] = relationship(
        back_populates="module", order_by="Question.position"
    )


class Lesson(db.Model):
    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("module_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    slug: Mapped[str] = mapped_column(String(60))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body_markdown: Mapped[str] = mapped_column(Text)
    # Rendered once at sync: content is immutable, so is its HTML.
    body_html: Mapped[str] = mapped_column(Text)

    module: Mapped[Module] = relationship(back_populates="lessons")


class Question(db.Model):
    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("module_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    key: Mapped[str] = mapped_column(String(60))
    position: Mapped[int]
    stem: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text)
    citation: Mapped[str] = mapped_column(Text)
    multiple: Mapped[bool] = mapped_column(default=False)
    # the lesson to re-read after a miss; questions of one variant rule are never drawn together
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id"))
    variant_rule: Mapped[str | None] = mapped_column(String(60))
    permissive: Mapped[bool] = mapped_column(default=False)

    module: Mapped[Module] = relationship(back_populates="questions")
    lesson: Mapped[Lesson | None] = relationship()
    options: Mapped[list["QuestionOption"]] = relationship(
        back_populates="question", order_by="QuestionOption.position"
    )


class QuestionOption(db.Model):
    __tablename__ = "question_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    is_correct: Mapped[bool]
    feedback: Mapped[str] = mapped_column(Text)

    question: Mapped[Question] = relationship(back_populates="options")


class Certification(db.Model):
    """A named bundle of modules; holding it is what posting rights require."""

    __tablename__ = "certifications"
    __table_args__ = (UniqueConstraint("course_version_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    slug: Mapped[str] = mapped_column(String(60))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    module_slugs: Mapped[list] = mapped_column(JSON)
    requires: Mapped[list] = mapped_column(JSON, default=list)

    course_version: Mapped[CourseVersion] = relationship(back_populates="certifications")


class LessonView(db.Model):
    """The first time a person opened a lesson (later views add nothing)."""

    __tablename__ = "lesson_views"
    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    viewed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class ModuleCompletion(db.Model):
    """A module passed: its lessons were viewed and this attempt passed."""

    __tablename__ = "module_completions"
    __table_args__ = (Index("ix_module_completions_user_module", "user_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"))
    course_version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"))
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), unique=True)
    completed_at = mapped_column(UTCDateTime, nullable=False)

    module: Mapped[Module] = relationship()

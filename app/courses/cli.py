"""`postready courses ...`: check, load and map the course files."""
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from app.extensions import db
from app.policy.models import PolicyVersion

courses_cli = click.Group("courses", help="Check and load course content from files.")


def read_courses_and_policy(directory: str | None):
    """Courses and the rights policy, with every problem in either."""
    from app.courses.content import read_courses
    from app.policy.document import read_policy_document
    from app.rights.policy import read_policy

    root = directory or current_app.config["COURSES_DIR"]
    courses, problems = read_courses(root)
    _, policy_problems = read_policy(root, {c.slug for course in courses for c in course.certifications})
    _, document_problems = read_policy_document(root)
    return courses, problems + policy_problems + document_problems + _post_check_problems(root, courses)


def _post_check_problems(root, courses) -> list:
    """The post checker's rules (courses/post-checks.yaml), where the course they cite is in this folder."""
    from pathlib import Path

    from app.postcheck.catalogue import FILE_NAME, read_catalogue
    from app.postcheck.services import COURSE, lessons_by_module

    course = next((c for c in courses if c.slug == COURSE), None)
    if course is None and not (Path(root) / FILE_NAME).is_file():
        return []
    return read_catalogue(Path(root), lessons_by_module(course.modules if course else ()), COURSE)[1]


def read_or_exit(directory: str | None, why: str):
    """The courses, or every problem printed and exit 1."""
    courses, problems = read_courses_and_policy(directory)
    if problems:
        for problem in problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(problems)} problem(s) found. {why}".rstrip(), err=True)
        sys.exit(1)
    return courses


@courses_cli.command("check")
@click.option("--dir", "directory", type=click.Path(), help="Courses folder (default: COURSES_DIR).")
@with_appcontext
def courses_check(directory):
    """Validate every course file and its item writing; exit 1 on any problem."""
    from app.courses.item_rules import check_course

    courses = read_or_exit(directory, "")
    problems = [p for course in courses for p in check_course(course)]
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        click.echo(f"{len(problems)} item-writing problem(s) found: a guesser could use these cues, "
                   f"or the pool is too small to retake fairly.", err=True)
        sys.exit(1)
    for course in courses:
        questions = sum(len(m.questions) for m in course.modules)
        lessons = sum(len(m.lessons) for m in course.modules)
        click.echo(f"{course.slug} {course.version}: {len(course.modules)} modules, {lessons} lessons, "
                   f"{questions} questions, {len(course.certifications)} certifications: OK")


@courses_cli.command("sync")
@click.option("--dir", "directory", type=click.Path(), help="Courses folder (default: COURSES_DIR).")
@with_appcontext
def courses_sync(directory):
    """Load courses into the database; unchanged content is left as it is."""
    from app.courses.services import sync_courses

    courses = read_or_exit(directory, "Nothing was loaded: fix the problems above first.")
    from app.assignments.services import assign_material_change
    from app.courses.models import CourseVersion
    from app.policy.document import read_policy_document
    from app.policy.services import sync_policy
    from app.timestamps import utcnow

    results = sync_courses(courses)
    document, _ = read_policy_document(directory or current_app.config["COURSES_DIR"])
    before = db.session.scalar(select(func.count()).select_from(PolicyVersion))
    policy = sync_policy(document, utcnow())
    if policy is not None:
        new = db.session.scalar(select(func.count()).select_from(PolicyVersion)) > before
        click.echo(f"policy {policy.version_label}: " + (f"new version stored; sign within {policy.grace_days} days"
                                                           if new else "unchanged"))
    for r in results:
        state = "new version stored" if r.created else "unchanged"
        if r.created:
            version = db.session.get(CourseVersion, r.version_id)
            assigned = assign_material_change(version, utcnow())
            state += f" ({version.change_kind} change; {assigned} retake assignment(s))" if assigned else ""
        click.echo(f"{r.slug} {r.version_label}: {state}")
    db.session.commit()


@courses_cli.command("map")
@click.option("--dir", "directory", type=click.Path(), help="Courses folder (default: COURSES_DIR).")
@with_appcontext
def courses_map(directory):
    """Print a Markdown map of each course (topics, lessons, questions, sources)."""
    from app.courses.curriculum_map import render_map

    courses = read_or_exit(directory, "")
    click.echo("\n".join(render_map(course) for course in courses), nl=False)

from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user, login_required

from app.assignments.forms import PlatformRequestForm
from app.certificates.issuing import renewal_window
from app.certificates.renewal import standings
from app.courses.overview import course_overview
from app.courses.plan import training_plan
from app.courses.services import current_module, current_versions, record_lesson_view
from app.extensions import db
from app.localtime import current_zone
from app.policy.services import standing_of
from app.quizzes.rereading import lessons_to_reread, note_reread
from app.quizzes.services import open_attempt, retake_decision
from app.reports.personal import latest_requests, own_requirements
from app.sqlite import writes_db
from app.timestamps import utcnow

bp = Blueprint("courses", __name__, template_folder="templates")


@bp.get("/")
@login_required
def my_training():
    overviews = [course_overview(current_user, version) for version in current_versions()]
    now = utcnow()
    held = standings(current_user, now, renewal_window())
    renew = renewal_due_modules(held)
    plan = training_plan(overviews, own_requirements(current_user, now), renew, latest_requests(current_user),
                         now.astimezone(current_zone()).date(), current_app.config["ONBOARDING_CERTIFICATIONS"])
    return render_template("courses/my_training.html", overviews=overviews, now=now, held=held, plan=plan,
                           renew=renew, policy=standing_of(current_user, now), ask=PlatformRequestForm())


def _module_or_404(course_slug: str, module_slug: str):
    return current_module(course_slug, module_slug) or abort(404)


def renewal_due_modules(held) -> set[str]:
    return {slug for standing in held for slug in standing.modules_to_renew}


@bp.get("/learn/<course_slug>/<module_slug>/")
@login_required
def module(course_slug: str, module_slug: str):
    module = _module_or_404(course_slug, module_slug)
    renewal_due = module.slug in renewal_due_modules(standings(current_user, utcnow(), renewal_window()))
    overview = course_overview(current_user, module.course_version)
    row = next(r for r in overview.modules if r.module.id == module.id)
    return render_template(
        "courses/module.html", module=module, progress=row.progress,
        open_attempt=open_attempt(current_user, module),
        retake=retake_decision(current_user, module, utcnow()),
        reread=lessons_to_reread(current_user, module), renewal_due=renewal_due,
    )


@bp.get("/learn/<course_slug>/<module_slug>/<lesson_slug>")
@login_required
@writes_db
def lesson(course_slug: str, module_slug: str, lesson_slug: str):
    module = _module_or_404(course_slug, module_slug)
    lessons = list(module.lessons)
    index = next((i for i, lesson in enumerate(lessons) if lesson.slug == lesson_slug), None)
    if index is None:
        abort(404)
    record_lesson_view(current_user, lessons[index])
    note_reread(current_user, lessons[index], utcnow())
    db.session.commit()
    return render_template(
        "courses/lesson.html", module=module, lesson=lessons[index], index=index, lessons=lessons,
        previous=lessons[index - 1] if index > 0 else None,
        next=lessons[index + 1] if index + 1 < len(lessons) else None,
    )


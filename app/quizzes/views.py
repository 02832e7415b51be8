from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.forms import ConfirmForm
from app.auth import ensure_or_404
from app.certificates.views import store_new_pdfs
from app.courses.models import Question
from app.courses.services import current_module
from app.database import reads_first, start_writing, utcnow
from app.extensions import db
from app.permissions import can_take_attempt, can_view_attempt
from app.quizzes.models import Attempt, AttemptQuestion
from app.quizzes.rules import InvalidAnswers
from app.quizzes.services import (AttemptToSubmit, QuizError, attempt_to_submit, grade_attempt, start_attempt,
                                  store_submission)

bp = Blueprint("quizzes", __name__, template_folder="templates")

ANSWER_FIELD = "answer-"


@bp.post("/learn/<course_slug>/<module_slug>/quiz")
@login_required
def start(course_slug: str, module_slug: str):
    module = current_module(course_slug, module_slug) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        attempt = start_attempt(current_user, module, utcnow())
    except QuizError as exc:
        flash(str(exc), "error")
        return redirect(url_for("courses.module", course_slug=course_slug, module_slug=module_slug))
    db.session.commit()
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))


# Built once: the attempt with what its page shows, or (to grade a submission, which reads the
# cached answer key and the drawn question ids) with its submission only.
_FOR_PAGE = select(Attempt).where(Attempt.id == bindparam("attempt_id")).options(
    selectinload(Attempt.questions).selectinload(AttemptQuestion.question).selectinload(Question.options))
_FOR_GRADING = select(Attempt).where(Attempt.id == bindparam("attempt_id")).options(joinedload(Attempt.submission))


def _load_attempt(attempt_id: int, for_page: bool = True) -> Attempt:
    attempt = db.session.execute(_FOR_PAGE if for_page else _FOR_GRADING,
                                 {"attempt_id": attempt_id}).unique().scalar_one_or_none()
    ensure_or_404(attempt is not None and can_view_attempt(current_user, attempt))
    return attempt


def parse_answers(form) -> dict[int, list[int]]:
    """Read answer-<question id> fields; anything else in the form (a score, a user id) is ignored."""
    answers: dict[int, list[int]] = {}
    for name in form:
        if not name.startswith(ANSWER_FIELD):
            continue
        try:
            question_id = int(name[len(ANSWER_FIELD):])
            answers[question_id] = [int(v) for v in form.getlist(name)]
        except ValueError:
            raise InvalidAnswers("An answer in the form is not one of the offered options.") from None
    return answers


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@reads_first
@login_required
def attempt(attempt_id: int):
    if request.method == "POST":
        # The owner submitting an open attempt (nearly every POST) needs one plain row; anything
        # else (a second submission, someone else's attempt) takes the page's path below.
        found = attempt_to_submit(attempt_id)
        if found is not None and not found.submitted and can_take_attempt(current_user, found):
            return _submit(found)
    attempt = _load_attempt(attempt_id, for_page=request.method != "POST")
    if attempt.submission is not None:
        if request.method == "POST":
            flash("This attempt was already submitted; its answers cannot be changed.", "error")
            return render_template("quizzes/result.html", attempt=attempt), 409
        return render_template("quizzes/result.html", attempt=attempt)
    ensure_or_404(can_take_attempt(current_user, attempt))
    if request.method == "POST":  # only if the row above and this load disagree (a concurrent change)
        return _submit(attempt)
    return render_template("quizzes/attempt.html", attempt=attempt, form=ConfirmForm(), chosen={})


def _submit(attempt: Attempt | AttemptToSubmit):
    # The CSRF token was checked before the view ran (CSRFProtect guards every form POST); the
    # page's ConfirmForm is built only to render it, not to check it a second time.
    chosen: dict[int, list[int]] = {}
    user = current_user._get_current_object()  # the services read it often: not through the proxy each time
    try:
        chosen = parse_answers(request.form)
        graded = grade_attempt(user, attempt, chosen, utcnow())
        start_writing(db.session)  # graded (and its certificates decided) without the write lock
        submission = store_submission(user, graded)
    except (QuizError, InvalidAnswers) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        status = 409 if isinstance(exc, QuizError) else 400
        page = _load_attempt(attempt.id)  # the questions again, with what was chosen
        return render_template("quizzes/attempt.html", attempt=page, form=ConfirmForm(), chosen=chosen), status
    attempt_id, issued = attempt.id, [c.id for c in submission.issued_certificates]
    db.session.commit()
    if issued and current_app.config["CERTIFICATE_PDFS"] == "at-issue":
        store_new_pdfs(issued)  # the certificate is committed; now its PDF, with no lock held
    return redirect(url_for("quizzes.attempt", attempt_id=attempt_id, _anchor="result"))

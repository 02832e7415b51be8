from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.forms import ConfirmForm
from app.auth import ensure_or_404
from app.certificates.notices import announce_after_commit
from app.certificates.renderer import render_and_store_pdfs
from app.courses.models import Question
from app.courses.services import current_module
from app.errors import csrf_failed
from app.extensions import db
from app.permissions import can_take_attempt, can_view_attempt
from app.policy.services import standing_of
from app.quizzes.drafts import DraftRefused, draft_answers, save_draft
from app.quizzes.models import Attempt, AttemptQuestion
from app.quizzes.next_step import next_step
from app.quizzes.rules import InvalidAnswers
from app.quizzes.services import QuizChanged, QuizError, graded_answers, start_attempt, submit_attempt
from app.timestamps import utcnow

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


def _load_attempt(attempt_id: int, for_page: bool = True) -> Attempt:
    """The attempt, with what its page shows (or, to submit it, with its submission only: grading
    reads the drawn questions itself)."""
    query = select(Attempt).where(Attempt.id == attempt_id).options(selectinload(Attempt.submission))
    if for_page:
        query = query.options(selectinload(Attempt.answers), selectinload(Attempt.questions)
                              .selectinload(AttemptQuestion.question).selectinload(Question.options))
    attempt = db.session.scalar(query)
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
@login_required
def attempt(attempt_id: int):
    attempt = _load_attempt(attempt_id, for_page=request.method != "POST")
    if attempt.submission is not None:
        if request.method == "POST":
            flash("This attempt was already submitted; its answers cannot be changed.", "error")
            return _result(_load_attempt(attempt_id)), 409
        return _result(attempt)
    ensure_or_404(can_take_attempt(current_user, attempt))
    if request.method == "POST":  # the CSRF token was checked before the view ran (CSRFProtect)
        return _submit(attempt)
    return render_template("quizzes/attempt.html", attempt=attempt, form=ConfirmForm(), chosen=draft_answers(attempt))


@bp.post("/attempts/<int:attempt_id>/draft")
@login_required
def draft(attempt_id: int):
    """Save one question's current choice (the quiz page's script calls this as the person answers)."""
    attempt = _load_attempt(attempt_id, for_page=False)
    ensure_or_404(can_take_attempt(current_user, attempt))
    try:
        question_id = int(request.form.get("question", ""))
        option_ids = [int(v) for v in request.form.getlist("option")]
        save_draft(current_user, attempt, question_id, option_ids, utcnow())
    except ValueError as exc:  # DraftRefused, or a field that is not a number
        db.session.rollback()
        return jsonify(error=str(exc) if isinstance(exc, DraftRefused) else "Malformed answer."), 400
    except QuizError as exc:
        db.session.rollback()
        return jsonify(error=str(exc)), 409
    db.session.commit()
    return "", 204


@bp.errorhandler(CSRFError)
def expired_form(exc):
    """A quiz page left open past its session's token (or a browser that lost its cookie): give the
    learner their answers back with a fresh token instead of a bare error page."""
    attempt_id = (request.view_args or {}).get("attempt_id")
    if request.endpoint != "quizzes.attempt" or not current_user.is_authenticated:
        return csrf_failed()
    attempt = _load_attempt(attempt_id)
    if attempt.submission is not None:
        return _result(attempt), 409
    try:
        chosen = parse_answers(request.form)
    except InvalidAnswers:
        chosen = {}
    flash("This page was open so long that its security check expired. Your answers are still selected "
          "below: check them and submit again.", "error")
    return render_template("quizzes/attempt.html", attempt=attempt, form=ConfirmForm(), chosen=chosen), 400


def _result(attempt: Attempt) -> str:
    now = utcnow()
    return render_template("quizzes/result.html", attempt=attempt, grades=graded_answers(attempt),
                           policy=standing_of(attempt.user, now),
                           step=next_step(attempt, now) if can_take_attempt(current_user, attempt) else None,
                           start_form=ConfirmForm())


def _submit(attempt: Attempt):
    chosen: dict[int, list[int]] = {}
    try:
        chosen = parse_answers(request.form)
        submission = submit_attempt(current_user, attempt, chosen, utcnow())
    except QuizChanged as exc:
        db.session.rollback()
        module = attempt.module
        current = current_module(module.course_version.course.slug, module.slug)
        return render_template("quizzes/changed.html", message=str(exc), module=current,
                               course_slug=module.course_version.course.slug, form=ConfirmForm()), 409
    except (QuizError, InvalidAnswers) as exc:
        db.session.rollback()
        flash(str(exc), "error")
        status = 409 if isinstance(exc, QuizError) else 400
        page = _load_attempt(attempt.id)  # the questions again, with what was chosen
        if page.submission is not None:  # submitted meanwhile (another tab): show its result
            return _result(page), status
        return render_template("quizzes/attempt.html", attempt=page, form=ConfirmForm(), chosen=chosen), status
    attempt_id, issued = attempt.id, [c.id for c in submission.issued_certificates]
    db.session.commit()
    if issued and current_app.config["CERTIFICATE_PDFS"] == "at-issue":
        render_and_store_pdfs(issued)  # the certificate is committed; now its PDF
        announce_after_commit(issued)  # and the email that says so (the worker does both otherwise)
    return redirect(url_for("quizzes.attempt", attempt_id=attempt_id, _anchor="result"))


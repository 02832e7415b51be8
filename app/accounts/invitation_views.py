"""Choosing a password from an emailed link (an invitation or a reset), and asking for a reset link."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from app.accounts.forms import ForgotPasswordForm, NewPasswordForm
from app.accounts.invitations import LinkInvalid, person_for_link, send_links, set_password_from_link
from app.accounts.services import AccountError, find_by_email
from app.extensions import db, limiter
from app.timestamps import utcnow

bp = Blueprint("invitations", __name__, template_folder="templates")

SAME_ANSWER = ("If an active account uses that address, we have emailed it a link to choose a new password. "
               "It works once, for an hour. Check your spam folder if nothing arrives.")


def email_link(person, purpose: str, actor) -> bool:
    """Email an invitation or reset link after the request's commit, and say so to the admin who asked."""
    sent, failed = send_links([person], purpose, actor, utcnow())
    if actor is not None and failed:
        flash(f"The email to {person.email} could not be sent ({failed[person.email]}). Try again later.", "error")
    elif actor is not None:
        what = "An invitation" if purpose == "invite" else "A password reset link"
        flash(f"{what} was emailed to {person.email}.", "success")
    return bool(sent)


def _choose_password(token: str, purpose: str):
    try:
        person = person_for_link(token, purpose)
    except LinkInvalid as exc:
        return render_template("accounts/link_invalid.html", message=str(exc)), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            set_password_from_link(person, purpose, form.new_password.data, utcnow())
        except AccountError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            login_user(person)
            flash("Your password is set. Welcome to PostReady." if purpose == "invite"
                  else "Your new password is set; other devices are signed out.", "success")
            return redirect(url_for("courses.my_training"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/choose_password.html", form=form, person=person, purpose=purpose), status


@bp.route("/welcome/<token>", methods=["GET", "POST"])
def welcome(token: str):
    return _choose_password(token, "invite")


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    return _choose_password(token, "reset")


def _typed_email() -> str:
    return (request.form.get("email") or "").strip().casefold()[:254]


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])                      # per address
@limiter.limit("3 per hour", methods=["POST"], key_func=_typed_email)  # per account asked about
def forgot_password():
    """The same answer whether or not the address has an account, so the form reveals nobody."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.change_password"))
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        person = find_by_email(form.email.data)
        if person is not None and person.active:
            email_link(person, "reset", None)
        flash(SAME_ANSWER, "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form), 400 if request.method == "POST" else 200

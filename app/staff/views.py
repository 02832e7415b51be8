"""Import staff from an HR export: upload once (a dry run that keeps the file), then apply that same file."""
from flask import Blueprint, flash, render_template
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField

from app.accounts.invitations import invite_new_people
from app.auth import permission_required
from app.extensions import db
from app.permissions import can_manage_people
from app.staff.csv_import import MAX_BYTES
from app.staff.kept_uploads import KEEP_FOR
from app.staff.services import UploadGone, apply_upload, check_upload, platform_names
from app.timestamps import utcnow

bp = Blueprint("staff", __name__, template_folder="templates")


class UploadForm(FlaskForm):
    file = FileField("HR export (CSV, UTF-8)", validators=[FileRequired("Choose a CSV file.")])


class ApplyForm(FlaskForm):
    token = HiddenField()  # names the file kept on the server; the file itself never comes back
    plan = HiddenField()   # the fingerprint of the plan the admin saw
    confirm = BooleanField()


def _shown_name(filename: str | None) -> str:
    """The uploaded file's own name (no folders), for the page only."""
    return (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:120] or "the uploaded file"


def _page(review=None, problem: str = "", upload_form: UploadForm | None = None):
    return render_template("staff/import.html", form=upload_form or UploadForm(formdata=None), review=review,
                           apply_form=ApplyForm(formdata=None), problem=problem,
                           platform_choices=platform_names().accepted(),
                           max_mb=MAX_BYTES // (1024 * 1024), keep_minutes=int(KEEP_FOR.total_seconds() // 60))


@bp.route("/people/import", methods=["GET", "POST"])
@permission_required(can_manage_people)
def import_people():
    form = UploadForm()
    review = None
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        review = check_upload(current_user, _shown_name(upload.filename), upload.read(MAX_BYTES + 1), utcnow())
        db.session.rollback()  # a dry run changes no records
        status = 400 if review.outcome.plan.errors else 200
    elif form.is_submitted():
        status = 400
    return _page(review, upload_form=form), status


@bp.route("/people/import/apply", methods=["POST"])
@permission_required(can_manage_people)
def apply_import():
    form = ApplyForm()
    if not form.validate_on_submit() or not form.token.data or not form.plan.data:
        return _page(problem="That form was incomplete or has expired; upload the file again."), 400
    try:
        review = apply_upload(current_user, form.token.data, form.plan.data, form.confirm.data, utcnow())
    except UploadGone as gone:
        db.session.rollback()
        return _page(problem=str(gone)), 410 if gone.expired else 404
    if review.outcome.applied:
        db.session.commit()
        sent, failed = invite_new_people([p.email for p in review.outcome.plan.creates], current_user, utcnow())
        if sent:
            flash(f"{len(sent)} invitation(s) emailed to the people this import added.", "success")
        if failed:
            flash("These invitations could not be sent; resend them from each person's page: "
                  + ", ".join(failed), "error")
        return _page(review), 200
    db.session.rollback()
    return _page(review), 409 if review.changed_since else 400

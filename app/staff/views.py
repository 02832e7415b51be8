from flask import Blueprint, render_template
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField

from app.auth import permission_required
from app.extensions import db
from app.permissions import can_manage_people
from app.staff.csv_import import MAX_BYTES
from app.staff.services import import_staff
from app.timestamps import utcnow

bp = Blueprint("staff", __name__, template_folder="templates")


class ImportForm(FlaskForm):
    file = FileField("HR export (CSV, UTF-8)", validators=[FileRequired("Choose a CSV file.")])
    apply = BooleanField("Apply the changes (leave unticked for a dry run that changes nothing)")


@bp.route("/people/import", methods=["GET", "POST"])
@permission_required(can_manage_people)
def import_people():
    form = ImportForm()
    outcome = None
    status = 200
    if form.validate_on_submit():
        data = form.file.data.read(MAX_BYTES + 1)
        outcome = import_staff(current_user, data, utcnow(), dry_run=not form.apply.data)
        if outcome.applied:
            db.session.commit()
        else:
            db.session.rollback()
            status = 400 if outcome.plan.errors else 200
    elif form.is_submitted():
        status = 400
    return render_template("staff/import.html", form=form, outcome=outcome, max_mb=MAX_BYTES // (1024 * 1024)), status

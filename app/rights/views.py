from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.accounts.models import User
from app.accounts.services import reporting_line
from app.auth import ensure_or_404, permission_required
from app.certificates.services import certificates_of
from app.extensions import db
from app.permissions import can_lift_suspension, can_suspend_rights, can_view_person, is_manager
from app.rights.forms import LiftForm, SuspendForm
from app.rights.models import RightsSuspension
from app.rights.services import (
    RightsError,
    lift_suspension,
    policy,
    rights_for_people,
    rights_of,
    suspend_rights,
    suspension_history,
)
from app.timestamps import utcnow

bp = Blueprint("rights", __name__, template_folder="templates")


@bp.get("/rights")
@login_required
def my_rights():
    return render_template("rights/person.html", person=current_user, rights=rights_of(current_user, utcnow()),
                           certificates=certificates_of(current_user), history=suspension_history(current_user),
                           own=True)


def _person_or_404(person_id: int) -> User:
    person = db.session.get(User, person_id)
    ensure_or_404(person is not None and can_view_person(current_user, person))
    return person


def _render_person(person: User, form: SuspendForm, status: int = 200):
    return render_template("rights/person.html", person=person, rights=rights_of(person, utcnow()),
                           certificates=certificates_of(person), history=suspension_history(person),
                           own=person.id == current_user.id, form=form, lift_form=LiftForm()), status


@bp.get("/people/<int:person_id>/rights")
@login_required
def person_rights(person_id: int):
    person = _person_or_404(person_id)
    form = SuspendForm()
    form.set_rights(policy().rights)
    return _render_person(person, form)


@bp.post("/people/<int:person_id>/rights/suspend")
@login_required
def suspend(person_id: int):
    person = _person_or_404(person_id)
    if not can_suspend_rights(current_user, person):
        abort(403)
    form = SuspendForm()
    form.set_rights(policy().rights)
    if form.validate_on_submit():
        try:
            suspend_rights(current_user, person, form.right.data or None, form.reason.data, utcnow())
        except RightsError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"Suspended. {person.full_name} cannot use the suspended rights until the suspension is lifted.",
                  "success")
            return redirect(url_for("rights.person_rights", person_id=person.id))
    return _render_person(person, form, 400)


@bp.post("/suspensions/<int:suspension_id>/lift")
@login_required
def lift(suspension_id: int):
    suspension = db.session.get(RightsSuspension, suspension_id)
    ensure_or_404(suspension is not None and can_view_person(current_user, suspension.user))
    if not can_lift_suspension(current_user, suspension):
        abort(403)
    form = LiftForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        lift_suspension(current_user, suspension, form.reason.data or "", utcnow())
    except RightsError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("Suspension lifted.", "success")
    return redirect(url_for("rights.person_rights", person_id=suspension.user_id))


@bp.get("/team/rights")
@permission_required(is_manager)
def team_rights():
    people = reporting_line(current_user, include_inactive=False)
    return render_template("rights/team.html", people=people, rights=rights_for_people(people, utcnow()),
                           policy=policy())

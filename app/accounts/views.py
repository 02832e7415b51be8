from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import or_, select
from wtforms.fields.choices import SelectChoice

from app.accounts import throttle
from app.accounts.forms import (
    ChangePasswordForm,
    ConfirmForm,
    LoginForm,
    PersonForm,
    TimeZoneForm,
)
from app.accounts.invitation_views import email_link
from app.accounts.invitations import invitation_states
from app.accounts.models import Role, User
from app.accounts.services import (
    AccountError,
    PersonFields,
    authenticate,
    break_glass_admins,
    change_own_password,
    create_person,
    deactivate_person,
    reactivate_person,
    set_break_glass,
    set_time_zone,
    update_person,
)
from app.accounts.signin import home_url, new_csrf_secret, safe_next, start_session
from app.audit.services import record
from app.auth import permission_required
from app.errors import csrf_failed
from app.extensions import db
from app.localtime import choices
from app.permissions import can_manage_people
from app.timestamps import utcnow
from app.url_ids import page_number

bp = Blueprint("accounts", __name__, template_folder="templates")

PAGE_SIZE = 50


@bp.errorhandler(CSRFError)
def expired_form(exc):
    """A sign-in form from before someone signed in or out here (its token is renewed then): show a
    fresh form rather than an error page. Other forms get the general message."""
    if request.endpoint != "accounts.login":
        return csrf_failed()
    flash("This sign-in form had expired. Enter your email and password again.", "error")
    return render_template("accounts/login.html", form=LoginForm(formdata=None)), 400


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(home_url(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        address = get_remote_address() or "unknown"
        wait = throttle.refused(form.email.data, address)
        if wait is not None:
            flash(wait.message, "error")
            return render_template("accounts/login.html", form=form), 429, {"Retry-After": str(wait.retry_after)}
        user = authenticate(form.email.data, form.password.data)
        db.session.commit()  # the audit event of a failed login is kept too
        if user is None:
            throttle.count_failure(form.email.data, address)
            # One message for every failure, so the form does not reveal who has an account.
            flash("That email and password do not match an active account.", "error")
        else:
            throttle.count_success(form.email.data, address)
            start_session(user)
            return redirect(safe_next(request.args.get("next")) or home_url(user))
    return render_template("accounts/login.html", form=form), 200 if request.method == "GET" else 400


@bp.post("/logout")
@login_required
def logout():
    if ConfirmForm().validate_on_submit():
        current_user.end_all_sessions()
        record("logout", actor=current_user)
        db.session.commit()
        provider_logout = (session.pop("sso", None) or {}).get("logout")
        logout_user()
        new_csrf_secret()
        if provider_logout:  # signed in through the hospital's provider: offer its sign-out too
            return render_template("accounts/signed_out.html", provider_logout=provider_logout)
        flash("You are signed out.", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/time-zone", methods=["GET", "POST"])
@login_required
def time_zone():
    form = TimeZoneForm(timezone=current_user.timezone or "")
    org = current_app.config["ORG_TIMEZONE"]
    form.timezone.choices = [("", f"The organisation's ({org})"), *((z, z.replace("_", " ")) for z in choices())]
    if form.validate_on_submit():
        try:
            set_time_zone(current_user, form.timezone.data or None)
        except AccountError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash("Saved: dates and times are now shown in " + (current_user.timezone or org) + ".", "success")
            return redirect(url_for("accounts.time_zone"))
    return render_template("accounts/time_zone.html", form=form, now=utcnow()), 400 if request.method == "POST" else 200


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_own_password(current_user, form.current_password.data, form.new_password.data)
        except AccountError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            login_user(db.session.get(User, current_user.id))  # the session token changed: re-issue this session only
            flash("Your password is changed. Other devices are signed out.", "success")
            return redirect(url_for("courses.my_training"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/change_password.html", form=form), status


# --- administration of people -------------------------------------------------------------

def _manager_choices() -> list[SelectChoice]:
    managers = db.session.scalars(
        select(User).where(User.role.in_([Role.MANAGER, Role.ADMIN]), User.active).order_by(User.full_name)
    )
    return [SelectChoice(0, "— none —")] + [SelectChoice(m.id, f"{m.full_name} ({m.email})") for m in managers]


def _fields(form: PersonForm) -> PersonFields:
    return PersonFields(
        email=form.email.data, full_name=form.full_name.data, role=form.role.data,
        manager_id=form.manager_id.data or None, department=form.department.data or "",
        hire_date=form.hire_date.data,
    )


def _person_or_404(person_id: int) -> User:
    return db.session.get(User, person_id) or abort(404)


@bp.get("/people")
@permission_required(can_manage_people)
def people():
    q = request.args.get("q", "").strip()[:100]
    page = page_number(request.args)
    query = select(User).order_by(User.full_name, User.id)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(User.email.like(like), db.func.lower(User.full_name).like(like)))
    people = db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
    return render_template("accounts/people.html", people=people, q=q,
                           invitations=invitation_states(list(people.items)), break_glass=break_glass_admins())


@bp.route("/people/new", methods=["GET", "POST"])
@permission_required(can_manage_people)
def new_person():
    form = PersonForm()
    form.manager_id.choices = _manager_choices()
    if form.validate_on_submit():
        try:
            person = create_person(current_user, _fields(form), utcnow())
        except AccountError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            email_link(person, "invite", current_user)
            return redirect(url_for("accounts.edit_person", person_id=person.id))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/person_form.html", form=form, person=None), status


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@permission_required(can_manage_people)
def edit_person(person_id: int):
    person = _person_or_404(person_id)
    form = PersonForm(obj=person)
    form.manager_id.choices = [c for c in _manager_choices() if c.value != person.id]
    if request.method == "GET":
        form.manager_id.data = person.manager_id or 0
        form.department.data = person.department.name if person.department else ""
    if form.validate_on_submit():
        try:
            update_person(current_user, person, _fields(form), utcnow())
        except AccountError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash("Saved.", "success")
            return redirect(url_for("accounts.edit_person", person_id=person.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "accounts/person_form.html", form=form, person=person,
        confirm_form=ConfirmForm(), invitation=invitation_states([person])[person.id],
    ), status


@bp.post("/people/<int:person_id>/break-glass")
@permission_required(can_manage_people)
def break_glass(person_id: int):
    person = _person_or_404(person_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    on = request.form.get("on") == "1"
    try:
        set_break_glass(current_user, person, on, utcnow())
    except AccountError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"{person.full_name} {'may' if on else 'may no longer'} sign in with a password when password "
              "sign-in is off.", "success")
    return redirect(url_for("accounts.edit_person", person_id=person.id))


@bp.post("/people/<int:person_id>/deactivate")
@permission_required(can_manage_people)
def deactivate(person_id: int):
    person = _person_or_404(person_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        deactivate_person(current_user, person, utcnow())
    except AccountError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"{person.full_name} is deactivated and signed out everywhere. Their records are kept.", "success")
    return redirect(url_for("accounts.edit_person", person_id=person.id))


@bp.post("/people/<int:person_id>/reactivate")
@permission_required(can_manage_people)
def reactivate(person_id: int):
    person = _person_or_404(person_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    reactivate_person(current_user, person, utcnow())
    db.session.commit()
    flash(f"{person.full_name} is active again.", "success")
    return redirect(url_for("accounts.edit_person", person_id=person.id))


@bp.post("/people/<int:person_id>/invite")
@permission_required(can_manage_people)
def send_link(person_id: int):
    """Send (again) the invitation, or a reset link to someone who has set their password already."""
    person = _person_or_404(person_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not person.active:
        flash("Reactivate them first: deactivated people cannot sign in.", "error")
    else:
        email_link(person, "invite" if person.password_hash is None else "reset", current_user)
    return redirect(url_for("accounts.edit_person", person_id=person.id))

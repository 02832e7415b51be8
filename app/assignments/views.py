"""Requirement pages: the admin's rules, a person's request to post on a platform, a manager's
decision, and taking a platform back."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice

from app.accounts.forms import ConfirmForm
from app.accounts.models import Department, User
from app.assignments.forms import DecisionForm, PlatformRequestForm, RuleForm
from app.assignments.models import Assignment, PlatformRequest, RequirementRule, RequirementRuleEnd, live_at
from app.assignments.requests import decide_request, request_platform
from app.assignments.requirements import (
    RequirementError,
    add_rule,
    end_rule,
    optional_certifications,
    withdraw_requirement,
)
from app.auth import ensure_or_404, permission_required
from app.extensions import db
from app.permissions import (
    can_change_requirements_of,
    can_decide_platform_request,
    can_manage_requirement_rules,
    can_request_platform,
    can_view_person,
)
from app.timestamps import utcnow

bp = Blueprint("requirements", __name__, template_folder="templates")


def _rule_form() -> RuleForm:
    form = RuleForm()
    form.certification.choices = [SelectChoice(slug, title) for slug, title in optional_certifications().items()]
    form.department.choices = [SelectChoice("", "Any department")] + [
        SelectChoice(str(d.id), d.name) for d in db.session.scalars(select(Department).order_by(Department.name))]
    return form


def _rules_page(form: RuleForm, status: int = 200):
    rules = list(db.session.scalars(
        select(RequirementRule).outerjoin(RequirementRuleEnd).where(RequirementRuleEnd.rule_id.is_(None))
        .order_by(RequirementRule.certification_slug, RequirementRule.id)))
    covered = dict(db.session.execute(
        select(Assignment.rule_id, func.count()).join(User, User.id == Assignment.user_id)
        .where(Assignment.rule_id.is_not(None), live_at(), User.active).group_by(Assignment.rule_id)).all())
    return render_template("assignments/rules.html", form=form, rules=rules, covered=covered,
                           titles=optional_certifications(), confirm=ConfirmForm()), status


@bp.get("/requirements")
@permission_required(can_manage_requirement_rules)
def rules():
    return _rules_page(_rule_form())


@bp.post("/requirements")
@permission_required(can_manage_requirement_rules)
def add():
    form = _rule_form()
    if not form.validate_on_submit():
        return _rules_page(form, 400)
    try:
        add_rule(current_user, form.certification.data, int(form.department.data) if form.department.data else None,
                 form.role.data or None, utcnow())
    except RequirementError as exc:
        db.session.rollback()
        form.certification.errors = [str(exc)]
        return _rules_page(form, 400)
    db.session.commit()
    flash("Rule added. Everyone it covers now has this certification to earn.", "success")
    return redirect(url_for("requirements.rules"))


@bp.post("/requirements/<int:rule_id>/remove")
@permission_required(can_manage_requirement_rules)
def remove(rule_id: int):
    rule = db.session.get(RequirementRule, rule_id)
    ensure_or_404(rule is not None)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        lapsed = end_rule(current_user, rule, utcnow())
    except RequirementError as exc:
        flash(str(exc), "error")
        return redirect(url_for("requirements.rules"))
    db.session.commit()
    flash(f"Rule removed. {lapsed} requirement{'s' if lapsed != 1 else ''} it alone made ended.", "success")
    return redirect(url_for("requirements.rules"))


@bp.post("/training/platforms")
@permission_required(can_request_platform)
def ask():
    form = PlatformRequestForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        request_platform(current_user, form.certification.data, form.note.data or "", utcnow())
    except RequirementError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("courses.my_training"))
    db.session.commit()
    flash("Asked. Your manager decides; you will see the answer here.", "success")
    return redirect(url_for("courses.my_training"))


@bp.post("/requests/<int:request_id>/decide")
@login_required
def decide(request_id: int):
    platform_request = db.session.get(PlatformRequest, request_id)
    ensure_or_404(platform_request is not None and can_view_person(current_user, platform_request.user))
    if not can_decide_platform_request(current_user, platform_request):
        abort(403)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    approved = form.decision.data == "approve"
    try:
        decide_request(current_user, platform_request, approved, form.note.data or "", utcnow())
    except RequirementError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        title = optional_certifications().get(platform_request.certification_slug, "the platform")
        flash(f"{'Approved' if approved else 'Declined'}: {platform_request.user.full_name}, {title}.", "success")
    return redirect(_back())


@bp.post("/people/<int:person_id>/requirements/<slug>/withdraw")
@login_required
def withdraw(person_id: int, slug: str):
    person = db.session.get(User, person_id)
    ensure_or_404(person is not None and can_view_person(current_user, person))
    if not can_change_requirements_of(current_user, person):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        withdraw_requirement(current_user, person, slug, utcnow())
    except RequirementError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"{person.full_name} no longer has to earn it.", "success")
    return redirect(url_for("reports.person", person_id=person.id))


def _back() -> str:
    """Back to the dashboard the decision was made on (only our own pages)."""
    target = request.form.get("back", "")
    return target if target in (url_for("reports.team"), url_for("reports.organization")) else url_for("reports.team")

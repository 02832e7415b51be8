"""The policy page: read the version in force, tick, type your name, sign."""
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.certificates.notices import announce_after_commit
from app.certificates.renderer import render_and_store_pdfs
from app.extensions import db
from app.policy.forms import AttestForm
from app.policy.services import PolicyError, attest, attestation_of, policy_in_force, standing_of
from app.timestamps import utcnow

bp = Blueprint("policy", __name__, template_folder="templates")


@bp.get("/policy")
@login_required
def policy():
    now = utcnow()
    version = policy_in_force(now)
    return render_template("policy/policy.html", version=version, form=AttestForm(),
                           signed=attestation_of(current_user, version) if version else None,
                           standing=standing_of(current_user, now))


@bp.post("/policy/<int:version_id>/sign")
@login_required
def sign(version_id: int):
    from app.policy.models import PolicyVersion

    form = AttestForm()
    version = db.session.get(PolicyVersion, version_id)
    if version is None or not form.validate_on_submit():
        flash("The form could not be read: open the policy again and sign it.", "error")
        return redirect(url_for("policy.policy"))
    try:
        attestation = attest(current_user, version, form.agreed.data, form.typed_name.data or "", utcnow())
    except PolicyError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return render_template("policy/policy.html", version=version, form=form, signed=None,
                               standing=standing_of(current_user, utcnow())), 400
    issued = [c.id for c in attestation.issued_certificates]
    db.session.commit()
    if issued and current_app.config["CERTIFICATE_PDFS"] == "at-issue":
        render_and_store_pdfs(issued)
        announce_after_commit(issued)
    flash(f"Signed: {version.title}, version {version.version_label}." +
          (" Your certificate is issued: see it on My training." if issued else ""), "success")
    return redirect(url_for("courses.my_training"))

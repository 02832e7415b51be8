"""Administration of API tokens (pages for admins)."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.accounts.forms import ConfirmForm
from app.api.models import SCOPES, ApiToken
from app.api.services import TokenError, all_tokens, create_token, revoke_token
from app.auth import permission_required
from app.extensions import db
from app.permissions import can_manage_api_tokens
from app.timestamps import utcnow

admin_bp = Blueprint("api_tokens", __name__, template_folder="templates")


class TokenForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)],
                       description="Which system will use it, e.g. “Scheduling tool”.")
    scope = RadioField("What it may do", choices=[
        SelectChoice("rights", "Ask about posting rights (the API)"),
        SelectChoice("scim", "Add, change and deactivate people (SCIM, for Entra ID or Okta)"),
        SelectChoice("postcheck", "Check drafts before they are posted (a social tool's pre-publish step)"),
    ], default="rights", validators=[DataRequired()])


@admin_bp.route("/api-tokens", methods=["GET", "POST"])
@permission_required(can_manage_api_tokens)
def tokens():
    form = TokenForm()
    secret = None
    status = 200
    if form.validate_on_submit():
        try:
            token, secret = create_token(current_user, form.name.data, utcnow(), form.scope.data)
        except TokenError as exc:
            flash(str(exc), "error")
            status = 400
        else:
            db.session.commit()
            form = TokenForm(formdata=None)
    elif form.is_submitted():
        status = 400
    response = render_template("api/tokens.html", form=form, tokens=all_tokens(), secret=secret,
                               confirm=ConfirmForm(), scopes=SCOPES,
                               scim_url=current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/scim/v2")
    # The secret is shown once: never cache this page.
    return response, status, {"Cache-Control": "no-store"}


@admin_bp.post("/api-tokens/<int:token_id>/revoke")
@permission_required(can_manage_api_tokens)
def revoke(token_id: int):
    token = db.session.get(ApiToken, token_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    revoke_token(current_user, token, utcnow())
    db.session.commit()
    flash(f"Token “{token.name}” revoked. Requests with it are refused from now on.", "success")
    return redirect(url_for("api_tokens.tokens"))

"""Check a post: for every signed-in person. The draft is sent by POST (never in a URL or a log)."""
from datetime import datetime

from flask import Blueprint, flash, render_template
from flask_login import current_user, login_required

from app.auth import permission_required
from app.extensions import db
from app.permissions import can_view_organization
from app.postcheck import services
from app.postcheck.forms import KIND_LABELS, PLATFORM_NAMES, PostCheckForm
from app.postcheck.highlight import highlighted
from app.postcheck.remote import CheckerUnavailable
from app.timestamps import utcnow

bp = Blueprint("post_checks", __name__, template_folder="templates")
NO_STORE = {"Cache-Control": "no-store"}  # the page shows the draft


@bp.route("/check-post", methods=["GET", "POST"])
@login_required
def check_post():
    form, result, marked, status = PostCheckForm(), None, None, 200
    if form.validate_on_submit():
        try:
            post = services.draft(form.text.data, form.platform.data)
            result = services.check(post)
        except services.PostCheckError as exc:
            form.text.errors = [str(exc)]
            status = 400
        except CheckerUnavailable:
            flash("The post checker is not answering right now. Try again in a minute.", "error")
            status = 503
        else:
            now = utcnow()
            services.count(result, now)
            if form.save.data:
                services.save(current_user, post, result, now)
            db.session.commit()
            marked = highlighted(post.text, result.findings)
    elif form.is_submitted():
        status = 400
    return render_template("postcheck/check.html", form=form, result=result, marked=marked,
                           saved=services.saved_checks(current_user), platforms=PLATFORM_NAMES,
                           labels=KIND_LABELS, lessons=services.lesson_titles() if result else {}), status, NO_STORE


@bp.get("/reports/post-checks")
@permission_required(can_view_organization)
def stats():
    """What the checker found, by month: counts only, never who or what."""
    months, table = services.monthly_counts()
    names = {m: f"{datetime.strptime(m, '%Y-%m'):%b %Y}" for m in months}
    return render_template("postcheck/stats.html", months=months, names=names, table=table, labels=KIND_LABELS)

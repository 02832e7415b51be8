"""Webhooks pages for administrators: endpoints, their delivery log, test, replay."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from app.accounts.forms import ConfirmForm
from app.auth import permission_required
from app.extensions import db
from app.permissions import can_manage_webhooks
from app.timestamps import utcnow
from app.webhooks import services
from app.webhooks.delivery import WorkerTally, deliver, lease
from app.webhooks.events import EVENT_TYPES
from app.webhooks.forms import EndpointForm
from app.webhooks.models import WebhookDelivery, WebhookEndpoint

bp = Blueprint("webhooks", __name__, template_folder="templates", url_prefix="/admin/webhooks")
NO_STORE = {"Cache-Control": "no-store"}  # a page that shows a secret once


@bp.route("", methods=["GET", "POST"])
@permission_required(can_manage_webhooks)
def index():
    form, secret, status = EndpointForm(), None, 200
    if form.validate_on_submit():
        try:
            endpoint, secret = services.add_endpoint(current_user, form.url.data, form.description.data or "",
                                                     form.events.data or [], utcnow())
        except services.WebhookError as exc:
            form.url.errors = [str(exc)]
            status = 400
        else:
            db.session.commit()
            return render_template("webhooks/secret.html", endpoint=endpoint, secret=secret, added=True), 200, NO_STORE
    elif form.is_submitted():
        status = 400
    return render_template("webhooks/index.html", form=form, endpoints=services.endpoints(),
                           event_types=EVENT_TYPES), status


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.deleted_at is not None:
        abort(404)
    return endpoint


@bp.get("/<int:endpoint_id>")
@permission_required(can_manage_webhooks)
def endpoint(endpoint_id: int):
    found = _endpoint(endpoint_id)
    return render_template("webhooks/endpoint.html", endpoint=found, deliveries=services.recent_deliveries(found),
                           confirm=ConfirmForm(), now=utcnow())


def _confirmed(endpoint_id: int) -> WebhookEndpoint:
    """The endpoint a button was pressed for (404 if none), once the button's form is valid (400 if not)."""
    found = _endpoint(endpoint_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return found


def _act(endpoint_id: int, action, done: str):
    found = _confirmed(endpoint_id)
    try:
        action(current_user, found, utcnow())
    except services.WebhookError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))


@bp.post("/<int:endpoint_id>/pause")
@permission_required(can_manage_webhooks)
def pause(endpoint_id: int):
    return _act(endpoint_id, services.pause, "Paused. Events wait, in order, until you resume.")


@bp.post("/<int:endpoint_id>/resume")
@permission_required(can_manage_webhooks)
def resume(endpoint_id: int):
    return _act(endpoint_id, services.resume, "Resumed. Waiting events are being sent.")


@bp.post("/<int:endpoint_id>/delete")
@permission_required(can_manage_webhooks)
def delete(endpoint_id: int):
    _act(endpoint_id, services.delete, "Endpoint deleted. Nothing more is sent to it.")
    return redirect(url_for("webhooks.index"))


@bp.post("/<int:endpoint_id>/rotate")
@permission_required(can_manage_webhooks)
def rotate(endpoint_id: int):
    found = _confirmed(endpoint_id)
    secret = services.rotate_secret(current_user, found, utcnow())
    db.session.commit()
    return render_template("webhooks/secret.html", endpoint=found, secret=secret, added=False), 200, NO_STORE


@bp.post("/<int:endpoint_id>/test")
@permission_required(can_manage_webhooks)
def test(endpoint_id: int):
    """Sends a ping now, from this request, so the result is on the page that follows."""
    found = _confirmed(endpoint_id)
    delivery = services.send_test(current_user, found, utcnow())
    lease([delivery.id], utcnow())  # commits: the worker leaves it to this request
    attempt = deliver(delivery.id, WorkerTally())
    if attempt.succeeded:
        flash(f"Test delivered: the endpoint answered {attempt.status_code} in {attempt.duration_ms} ms.", "success")
    else:
        answer = f"answered {attempt.status_code}" if attempt.status_code else attempt.error
        flash(f"Test not delivered: {answer}. See the log below.", "error")
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))


@bp.post("/deliveries/<int:delivery_id>/replay")
@permission_required(can_manage_webhooks)
def replay(delivery_id: int):
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint.deleted_at is not None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.replay(current_user, delivery, utcnow())
    db.session.commit()
    flash("Queued again, with the same webhook-id: the worker sends it next.", "success")
    return redirect(url_for("webhooks.endpoint", endpoint_id=delivery.endpoint_id))

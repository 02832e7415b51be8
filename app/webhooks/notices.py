"""Email to the administrators when an endpoint is switched off (sent after the commit that did it)."""
from flask import current_app
from sqlalchemy import select

from app.accounts.models import Role, User
from app.extensions import db
from app.mail import Mail, Mailer, MailFailed
from app.webhooks.models import WebhookEndpoint


def disabled_mail(endpoint: WebhookEndpoint, to: str) -> Mail:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    text = "\n".join([
        "Hello,",
        "",
        "PostReady stopped sending events to this webhook endpoint:",
        f"  {endpoint.url}" + (f" ({endpoint.description})" if endpoint.description else ""),
        "",
        f"Why: {endpoint.disabled_reason}",
        "",
        "The tool behind it no longer hears when someone's posting rights change, so it may let someone",
        "post who should not. Events keep being recorded; once the receiver works again, turn the",
        "endpoint back on and the waiting events are sent. See the delivery log:",
        f"{base}/admin/webhooks/{endpoint.id}",
        "",
        f"{current_app.config['ORG_NAME']} · PostReady",
    ])
    return Mail(to, "Webhook endpoint switched off", text,
                reason="You are an administrator of PostReady.")


def tell_admins_endpoint_disabled(endpoint: WebhookEndpoint) -> int:
    """Returns how many admins were told; a failure is logged (the endpoint page shows the state)."""
    admins = list(db.session.scalars(select(User.email).where(User.role == Role.ADMIN, User.active)))
    sent = 0
    try:
        with Mailer(current_app.config) as mailer:
            for address in admins:
                try:
                    mailer.send(disabled_mail(endpoint, address))
                    sent += 1
                except MailFailed:
                    current_app.logger.exception("telling %s that webhook endpoint %s is off failed", address,
                                                 endpoint.id)
    except OSError:
        current_app.logger.exception("no mail server to tell the admins that webhook endpoint %s is off",
                                     endpoint.id)
    db.session.commit()  # end the read
    return sent

"""A manager's "Send reminder": one click from an overdue cell to an email, at most once a day per person.

Each nudge is claimed in reminders_sent (kind "nudge") before it is sent, so a second click, a second
tab or a second manager on the same day sends nothing more; a message that cannot be sent gives its
claim back, so it can be tried again.
"""
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app

from app.accounts.models import User
from app.audit.services import record
from app.extensions import db
from app.mail import Mail, Mailer, MailFailed
from app.permissions import can_view_person
from app.reminders.models import ReminderSent
from app.unique_rows import insert_ignoring_conflicts

KIND = "nudge"


@dataclass
class NudgeReport:
    sent: list[str] = field(default_factory=list)             # names
    already_today: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class NudgeRefused(Exception):
    """The person is not someone the actor may remind."""


def _claim(person: User, now: datetime) -> bool:
    row = {"user_id": person.id, "kind": KIND, "subject_key": "training", "sent_on": now.date(), "sent_at": now,
           "email": person.email}
    return insert_ignoring_conflicts(db.session, ReminderSent, [row], ["user_id", "kind", "subject_key",
                                                                        "sent_on"]) == 1


def nudge_mail(actor: User, person: User, overdue: list[str]) -> Mail:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    items = "\n".join(f"- {title}" for title in overdue) or "- your social media training"
    return Mail(person.email, "A reminder from your manager: social media training", (
        f"Hello {person.full_name},\n\n{actor.full_name} asks you to finish this training, which is overdue:\n\n"
        f"{items}\n\nYour posting rights depend on it. Continue here: {base}/\n\n"
        f"-- PostReady, {current_app.config['ORG_NAME']}\n"))


def send_nudges(actor: User, targets: list[tuple[User, list[str]]], now: datetime) -> NudgeReport:
    """Remind each (person, overdue requirement titles); commits each claim with its message."""
    if any(not can_view_person(actor, person) for person, _titles in targets):
        raise NudgeRefused("You can remind only people in your reporting line.")
    report = NudgeReport()
    with Mailer(current_app.config) as mailer:
        for person, overdue in targets:
            if not person.active:
                continue
            if not _claim(person, now):
                report.already_today.append(person.full_name)
                continue
            try:
                mailer.send(nudge_mail(actor, person, overdue))
            except MailFailed as exc:
                db.session.rollback()  # the claim goes back: it can be tried again today
                record("reminder.failed", actor=actor, subject_type="user", subject_id=person.id, at=now,
                       details={"kinds": [KIND], "error": str(exc)})
                db.session.commit()
                report.failed.append(person.full_name)
                continue
            record("reminder.nudged", actor=actor, subject_type="user", subject_id=person.id, at=now,
                   details={"overdue": overdue})
            db.session.commit()
            report.sent.append(person.full_name)
    return report

"""Send the day's reminders. Safe to run from cron as often as you like: each reminder goes out once a day."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from app.accounts.models import User
from app.assignments.models import Assignment, live_at
from app.assignments.services import assign_refreshers
from app.audit.services import record
from app.certificates.models import Certificate, CertificateRevocation
from app.certificates.rules import HeldCertificate
from app.courses.models import Module, ModuleCompletion
from app.courses.services import current_versions
from app.extensions import db
from app.localtime import day as local_day
from app.localtime import zone_of
from app.mail import Mail, Mailer, MailFailed
from app.reminders.models import ReminderSent
from app.reminders.rules import AssignmentFact, CertificateFact, Reminder, reminders_due
from app.reports.rules import EXPIRING_WINDOW, OpenAssignment
from app.unique_rows import insert_ignoring_conflicts

SUBJECTS = {
    "overdue": "Overdue: your social media training",
    "due-soon": "Due soon: your social media training",
    "expiring": "Your social media certificate expires soon",
}


@dataclass
class SendReport:
    sent: list[tuple[str, str]] = field(default_factory=list)   # (email, kind)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (email, kind, why)
    skipped_already_sent: int = 0
    refreshers_assigned: int = 0


def _deliver(mailer: Mailer, mail: Mail, person: User, kinds: list[str], now: datetime, report: SendReport) -> None:
    """Send one message and commit its claims; if it cannot be sent, undo the claims (so the next run
    tries again), record the failure, and let the batch go on to the next person."""
    try:
        mailer.send(mail)
    except MailFailed as exc:
        db.session.rollback()
        record("reminder.failed", actor_label="cli", subject_type="user", subject_id=person.id, at=now,
               details={"kinds": kinds, "error": str(exc)})
        db.session.commit()
        report.failed.append((mail.to, ", ".join(kinds), str(exc)))
        current_app.logger.warning("reminder to %s not sent: %s", mail.to, exc)
        return
    db.session.commit()
    report.sent.extend((mail.to, kind) for kind in kinds)


def _facts(now: datetime):
    """Assignments, certificates and completions of active people, in three queries."""
    assignments: dict[int, list[AssignmentFact]] = defaultdict(list)
    for aid, uid, slug, assigned, due, modules in db.session.execute(
        select(Assignment.id, Assignment.user_id, Assignment.certification_slug, Assignment.assigned_at,
               Assignment.due_at, Assignment.module_slugs)
        .join(User, User.id == Assignment.user_id).where(User.active, live_at())
    ):
        assignments[uid].append(AssignmentFact(aid, slug, OpenAssignment(assigned, due, tuple(modules or ()))))
    certificates: dict[int, list[CertificateFact]] = defaultdict(list)
    for cid, uid, slug, issued, expires, revoked in db.session.execute(
        select(Certificate.id, Certificate.user_id, Certificate.certification_slug, Certificate.issued_at,
               Certificate.expires_at, CertificateRevocation.revoked_at)
        .outerjoin(CertificateRevocation).join(User, User.id == Certificate.user_id).where(User.active)
    ):
        certificates[uid].append(CertificateFact(cid, HeldCertificate(slug, issued, expires, revoked)))
    completions: dict[int, dict[str, datetime]] = defaultdict(dict)
    for uid, slug, when in db.session.execute(
        select(ModuleCompletion.user_id, Module.slug, func.max(ModuleCompletion.completed_at))
        .join(Module, ModuleCompletion.module_id == Module.id).group_by(ModuleCompletion.user_id, Module.slug)
    ):
        completions[uid][slug] = when
    return assignments, certificates, completions


def _claim(user: User, kind: str, subject_key: str, now: datetime) -> bool:
    """Record the reminder for today; False if it was already sent today."""
    row = {"user_id": user.id, "kind": kind, "subject_key": subject_key, "sent_on": now.date(), "sent_at": now,
           "email": user.email}
    key = ["user_id", "kind", "subject_key", "sent_on"]
    return insert_ignoring_conflicts(db.session, ReminderSent, [row], key) == 1


def _line(reminder: Reminder, titles: dict[str, str], zone=None) -> str:
    title = titles.get(reminder.certification_slug, reminder.certification_slug)
    day = local_day(reminder.when, zone)  # in the reader's time zone
    return {
        "overdue": f"- {title}: was due {day}. Your posting rights depend on it.",
        "due-soon": f"- {title}: due {day}.",
        "expiring": f"- {title}: your certificate expires {day}. Take the refresher to keep your posting rights.",
    }[reminder.kind]


def send_reminders(now: datetime) -> SendReport:
    """Assign due refreshers, then email each person their reminders and each manager a digest.

    Each message is recorded before it is sent and committed after, one person at a time. A message
    that cannot be sent is recorded as failed (an audit event) and tried again on the next run; the
    others go out all the same.
    """
    config = current_app.config
    report = SendReport(refreshers_assigned=assign_refreshers(now))
    db.session.commit()
    titles = {c.slug: c.title for v in current_versions() for c in v.certifications}
    assignments, certificates, completions = _facts(now)
    people = {u.id: u for u in db.session.scalars(select(User).where(User.active))}
    base = config["PUBLIC_BASE_URL"].rstrip("/")
    due_soon = timedelta(days=config["REMINDER_DUE_SOON_DAYS"])
    team_items: dict[int, list[tuple[User, Reminder]]] = defaultdict(list)
    with Mailer(config) as mailer:
        for uid, person in sorted(people.items()):
            due = reminders_due(assignments.get(uid, []), certificates.get(uid, []), completions.get(uid, {}),
                                now, due_soon, EXPIRING_WINDOW)
            for reminder in due:
                if person.manager_id:
                    team_items[person.manager_id].append((person, reminder))
            fresh = [r for r in due if _claim(person, r.kind, r.subject_key, now)]
            report.skipped_already_sent += len(due) - len(fresh)
            if not fresh:
                db.session.commit()
                continue
            kind = fresh[0].kind
            lines = "\n".join(_line(r, titles, zone_of(person)) for r in fresh)
            _deliver(mailer, Mail(person.email, SUBJECTS[kind], (
                f"Hello {person.full_name},\n\n{lines}\n\nContinue your training: {base}/\n"
                f"See your posting rights: {base}/rights\n\n-- PostReady, {config['ORG_NAME']}\n"
            )), person, [r.kind for r in fresh], now, report)
        for manager_id, items in sorted(team_items.items()):
            manager = people.get(manager_id)
            if manager is None or not _claim(manager, "digest", "team", now):
                continue
            body = "\n".join(f"- {p.full_name}: {_line(r, titles, zone_of(manager))[2:]}" for p, r in sorted(
                items, key=lambda pr: (pr[0].full_name, pr[1].when)))
            _deliver(mailer, Mail(manager.email, f"Team training digest: {len(items)} item(s) need attention", (
                f"Hello {manager.full_name},\n\nPeople in your reporting line with training due, overdue or "
                f"expiring:\n\n{body}\n\nOpen your team dashboard: {base}/team\n\n-- PostReady\n"
            )), manager, ["digest"], now, report)
    return report

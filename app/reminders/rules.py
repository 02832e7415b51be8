"""Which reminders a person is due, as a pure function of their assignments, certificates and the clock."""
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.certificates.rules import HeldCertificate
from app.reports.rules import OpenAssignment, is_satisfied


@dataclass(frozen=True)
class AssignmentFact:
    id: int
    certification_slug: str
    assignment: OpenAssignment


@dataclass(frozen=True)
class CertificateFact:
    id: int
    certificate: HeldCertificate


@dataclass(frozen=True)
class Reminder:
    kind: str          # due-soon | overdue | expiring
    subject_key: str
    certification_slug: str
    when: datetime     # due date or expiry


def reminders_due(
    assignments: Sequence[AssignmentFact],
    certificates: Sequence[CertificateFact],
    completions: dict[str, datetime],
    now: datetime,
    due_soon: timedelta,
    expiring_window: timedelta,
) -> list[Reminder]:
    held = [c.certificate for c in certificates]
    result: list[Reminder] = []
    for fact in assignments:
        mine = [c for c in held if c.slug == fact.certification_slug]
        if is_satisfied(fact.assignment, mine, completions):
            continue
        due = fact.assignment.due_at
        if due <= now:
            result.append(Reminder("overdue", f"assignment:{fact.id}", fact.certification_slug, due))
        elif due - now <= due_soon:
            result.append(Reminder("due-soon", f"assignment:{fact.id}", fact.certification_slug, due))
    latest: dict[str, CertificateFact] = {}
    for fact in certificates:
        current = latest.get(fact.certificate.slug)
        if current is None or fact.certificate.issued_at > current.certificate.issued_at:
            latest[fact.certificate.slug] = fact
    for slug, fact in latest.items():
        c = fact.certificate
        if c.valid_at(now) and c.expires_at - now <= expiring_window:
            result.append(Reminder("expiring", f"certificate:{fact.id}", slug, c.expires_at))
    return sorted(result, key=lambda r: (r.when, r.kind))

"""Posting rights as a pure function of certificates, suspensions, the signed policy and the clock.

Nothing about a right is stored: asking again after a certificate expires, is
revoked, or a suspension starts gives the new answer at once.
"""
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app.certificates.rules import HeldCertificate
from app.policy.rules import PolicyStanding
from app.rights.policy import RightRule


@dataclass(frozen=True)
class Suspension:
    right_slug: str | None  # None: every right
    reason: str
    by_name: str
    since: datetime

    def covers(self, right_slug: str) -> bool:
        return self.right_slug is None or self.right_slug == right_slug


@dataclass(frozen=True)
class RightDecision:
    slug: str
    title: str
    platform: str | None
    allowed: bool
    reason: str
    expires_at: datetime | None = None
    missing: tuple[str, ...] = ()  # certification slugs not held validly
    # Why, as a word a program can act on (REASON_KINDS), and since when it holds, where known.
    kind: str = "certified"
    since: datetime | None = None


# The reasons a right is allowed or not, as webhooks and the API name them.
REASON_KINDS = ("certified", "deactivated", "suspended", "policy_not_attested", "material_change",
                "not_certified", "certificate_expired", "certificate_revoked")


def decide_right(
    rule: RightRule,
    certificates: Sequence[HeldCertificate],
    suspensions: Sequence[Suspension],
    person_active: bool,
    now: datetime,
    certification_titles: dict[str, str] | None = None,
    policy: PolicyStanding | None = None,
    overdue_retakes: dict[str, datetime] | None = None,
) -> RightDecision:
    """`overdue_retakes`: certifications whose course changed materially and whose changed modules
    were not retaken by their due date (slug → due date). The certificate still stands, but until
    the person learns what changed they may not post with it."""
    titles = certification_titles or {}

    def deny(reason: str, kind: str, since: datetime | None = None, missing: tuple[str, ...] = ()) -> RightDecision:
        return RightDecision(rule.slug, rule.title, rule.platform, False, reason, None, missing, kind, since)

    if not person_active:
        return deny("The account is deactivated.", "deactivated")
    suspension = next((s for s in suspensions if s.covers(rule.slug)), None)
    if suspension is not None:
        return deny(f"Suspended by {suspension.by_name} on {suspension.since:%-d %b %Y}: {suspension.reason}",
                    "suspended", suspension.since)
    if policy is not None and not policy.allows_rights(now):
        return deny(policy.reason(now), "policy_not_attested", policy.due_by)
    late = [(slug, (overdue_retakes or {})[slug]) for slug in rule.requires if slug in (overdue_retakes or {})]
    if late:
        slug, due = late[0]
        return deny(f"The {titles.get(slug, slug)} course changed: the changed modules were due to be retaken by "
                    f"{due:%-d %b %Y}.", "material_change", due)
    valid_until: list[datetime] = []
    problems: list[str] = []
    missing: list[str] = []
    kinds: list[tuple[str, datetime | None]] = []
    for slug in rule.requires:
        title = titles.get(slug, slug)
        mine = [c for c in certificates if c.slug == slug and c.issued_at <= now]
        valid = [c for c in mine if c.valid_at(now)]
        if valid:
            valid_until.append(max(c.expires_at for c in valid))
            continue
        missing.append(slug)
        latest = max(mine, key=lambda c: c.issued_at, default=None)
        if latest is None:
            problems.append(f"needs the {title} certification")
            kinds.append(("not_certified", None))
        elif latest.revoked_at is not None and latest.revoked_at <= now:
            problems.append(f"the {title} certificate was revoked on {latest.revoked_at:%-d %b %Y}")
            kinds.append(("certificate_revoked", latest.revoked_at))
        else:
            problems.append(f"the {title} certificate expired on {latest.expires_at:%-d %b %Y}")
            kinds.append(("certificate_expired", latest.expires_at))
    if problems:
        text = "; ".join(problems)
        return deny(text[0].upper() + text[1:] + ".", *kinds[0], tuple(missing))
    expires_at = min(valid_until) if valid_until else None
    return RightDecision(rule.slug, rule.title, rule.platform, True,
                         f"Certified until {expires_at:%-d %b %Y}." if expires_at else "Allowed.", expires_at)


def decide_rights(rules: Sequence[RightRule], certificates, suspensions, person_active, now, titles=None,
                  policy: PolicyStanding | None = None, overdue_retakes: dict[str, datetime] | None = None):
    return [decide_right(r, certificates, suspensions, person_active, now, titles, policy, overdue_retakes)
            for r in rules]

"""Per-person requirements: rules an admin edits, the HR file's platforms, and a person's own
request approved by their manager all become assignments; what stops applying is withdrawn.

Nothing here commits: the request or command that calls it does.
"""
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.assignments.models import SOURCES, Assignment, AssignmentWithdrawal, RequirementRule, RequirementRuleEnd
from app.assignments.rules import LiveAssignment, PersonFacts, RuleFacts, sync_plan
from app.assignments.services import onboarding_due
from app.audit.services import record
from app.certificates.models import Certificate, CertificateRevocation
from app.courses.models import Certification, CourseVersion
from app.courses.services import current_version_ids
from app.extensions import db


class RequirementError(ValueError):
    """A requirement change that cannot be made; the message is shown to the person."""


def certification_titles() -> dict[str, str]:
    """The certifications of the courses in force, slug -> title, in course order."""
    return dict(db.session.execute(
        select(Certification.slug, Certification.title).join(CourseVersion)
        .where(CourseVersion.id.in_(current_version_ids())).order_by(CourseVersion.title, Certification.id)).all())


def optional_certifications() -> dict[str, str]:
    """Those a person may be asked for: every certification but the ones everyone must hold."""
    everyone = set(current_app.config["ONBOARDING_CERTIFICATIONS"])
    return {slug: title for slug, title in certification_titles().items() if slug not in everyone}


def live_assignments(person_ids: list[int] | None = None) -> list[LiveAssignment]:
    query = (select(Assignment.id, Assignment.user_id, Assignment.certification_slug, Assignment.reason,
                    Assignment.rule_id)
             .outerjoin(AssignmentWithdrawal).where(AssignmentWithdrawal.id.is_(None)))
    if person_ids is not None:
        query = query.where(Assignment.user_id.in_(person_ids))
    return [LiveAssignment(*row) for row in db.session.execute(query)]


def active_rules() -> list[RuleFacts]:
    return [RuleFacts(*row) for row in db.session.execute(
        select(RequirementRule.id, RequirementRule.certification_slug, RequirementRule.department_id,
               RequirementRule.role)
        .outerjoin(RequirementRuleEnd).where(RequirementRuleEnd.rule_id.is_(None)).order_by(RequirementRule.id))]


def new_requirement_due(person: User, slug: str, now: datetime) -> datetime:
    """The onboarding allowance from now (or from the hire date); someone already certified has
    until their certificate expires, so a new rule never makes a certified person overdue."""
    due = onboarding_due(person.hire_date, now, current_app.config["ONBOARDING_DUE_DAYS"])
    valid_until = db.session.scalar(
        select(func.max(Certificate.expires_at)).outerjoin(CertificateRevocation)
        .where(Certificate.user_id == person.id, Certificate.certification_slug == slug,
               CertificateRevocation.id.is_(None), Certificate.expires_at > now))
    return max(due, valid_until) if valid_until else due


def assign_requirement(person: User, slug: str, reason: str, key: str, now: datetime, actor: User | None,
            note: str, rule_id: int | None = None) -> Assignment:
    assignment = Assignment(user_id=person.id, certification_slug=slug, reason=reason, assigned_at=now,
                            due_at=new_requirement_due(person, slug, now), module_slugs=[],
                            assigned_by_id=actor.id if actor else None, note=note, dedupe_key=key, rule_id=rule_id)
    db.session.add(assignment)
    return assignment


def _generation(*conditions) -> int:
    """How many assignments of this kind the person had before: the next one's key differs, so one
    that was withdrawn can be assigned again, and two runs at once still collide on the same key."""
    return db.session.scalar(select(func.count()).select_from(Assignment).where(*conditions))


def _withdraw(assignment_ids, reason: str, now: datetime, actor: User | None) -> None:
    for aid in assignment_ids:
        db.session.add(AssignmentWithdrawal(assignment_id=aid, withdrawn_at=now, reason=reason[:300],
                                            withdrawn_by_id=actor.id if actor else None))


def sync_requirements(now: datetime, actor: User | None = None, person_ids: list[int] | None = None) -> tuple[int, int]:
    """Apply the rules to active people (all, or these); returns (assigned, withdrawn)."""
    query = select(User).where(User.active)
    if person_ids is not None:
        query = query.where(User.id.in_(person_ids))
    people = {p.id: p for p in db.session.scalars(query)}
    facts = [PersonFacts(p.id, p.department_id, p.role) for p in people.values()]
    rules = active_rules()
    plan = sync_plan(facts, rules, live_assignments(list(people) if person_ids is not None else None))
    for pid, rule in plan.add:
        n = _generation(Assignment.user_id == pid, Assignment.rule_id == rule.id)
        assign_requirement(people[pid], rule.certification_slug, "rule", f"rule:{rule.id}:{pid}:{n}", now, actor,
                "Required by a rule", rule_id=rule.id)
    for aid, why in plan.withdraw:
        _withdraw([aid], why, now, actor)
    db.session.flush()
    return len(plan.add), len(plan.withdraw)


def add_rule(actor: User, slug: str, department_id: int | None, role: str | None, now: datetime) -> RequirementRule:
    if slug not in optional_certifications():
        raise RequirementError("Choose a platform certification: the core one is required of everyone already.")
    if role is not None and role not in {r.value for r in Role}:
        raise RequirementError("Unknown role.")
    if any(r.certification_slug == slug and r.department_id == department_id and r.role == role
           for r in active_rules()):
        raise RequirementError("That rule exists already.")
    rule = RequirementRule(certification_slug=slug, department_id=department_id, role=role, created_at=now,
                           created_by_id=actor.id)
    db.session.add(rule)
    db.session.flush()
    added, _ = sync_requirements(now, actor)
    record("requirement_rule.added", actor=actor, subject_type="requirement_rule", subject_id=rule.id,
           details={"certification": slug, "department_id": department_id, "role": role, "people": added}, at=now)
    return rule


def end_rule(actor: User, rule: RequirementRule, now: datetime) -> int:
    """End a rule; people it alone required stop being asked. Returns how many assignments lapsed."""
    if rule.end is not None:
        raise RequirementError("That rule was removed already.")
    db.session.add(RequirementRuleEnd(rule_id=rule.id, ended_at=now, ended_by_id=actor.id))
    db.session.flush()
    _, withdrawn = sync_requirements(now, actor)
    record("requirement_rule.ended", actor=actor, subject_type="requirement_rule", subject_id=rule.id,
           details={"certification": rule.certification_slug, "withdrawn": withdrawn}, at=now)
    return withdrawn


def set_hr_platforms(actor: User | None, person: User, slugs: set[str], now: datetime) -> None:
    """The HR file says which platforms this person posts on: assign those, withdraw the file's others."""
    live = [a for a in live_assignments([person.id]) if a.reason == "hr-import"]
    have = {a.certification_slug for a in live}
    for slug in sorted(slugs - have):
        n = _generation(Assignment.user_id == person.id, Assignment.reason == "hr-import",
                        Assignment.certification_slug == slug)
        assign_requirement(person, slug, "hr-import", f"hr:{slug}:{person.id}:{n}", now, actor, "Listed in the HR file")
    _withdraw([a.id for a in live if a.certification_slug not in slugs], "No longer listed in the HR file", now, actor)
    db.session.flush()
    sync_requirements(now, actor, [person.id])  # follow-ups of a platform the file dropped lapse too


def withdraw_requirement(actor: User, person: User, slug: str, now: datetime) -> int:
    """A manager or admin takes a platform back. Only what was asked for (request, HR file, by hand)
    can be; a rule's requirement ends by changing the rule or the person's department."""
    live = [a for a in live_assignments([person.id]) if a.certification_slug == slug]
    removable = [a.id for a in live if a.reason in ("request", "hr-import", "manual")]
    if not removable:
        raise RequirementError("Nothing that can be withdrawn here requires this certification: "
                               "it comes from a rule or from onboarding.")
    _withdraw(removable, f"Withdrawn by {actor.full_name}", now, actor)
    db.session.flush()
    sync_requirements(now, actor, [person.id])
    record("requirement.withdrawn", actor=actor, subject_type="user", subject_id=person.id,
           details={"certification": slug}, at=now)
    return len(removable)


def requirement_sources(person: User) -> dict[str, list[Assignment]]:
    """What makes each certification required of this person now, slug -> live source assignments."""
    result: dict[str, list[Assignment]] = {}
    for a in db.session.scalars(
            select(Assignment).outerjoin(AssignmentWithdrawal)
            .where(Assignment.user_id == person.id, AssignmentWithdrawal.id.is_(None), Assignment.reason.in_(SOURCES))
            .order_by(Assignment.assigned_at)):
        result.setdefault(a.certification_slug, []).append(a)
    return result

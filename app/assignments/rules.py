"""Which certifications a person must hold, as pure functions over plain facts.

A certification is required of a person while they have a live (not withdrawn)
assignment for it from one of the sources (onboarding, an admin's rule, the HR
file, an approved request, an admin by hand). Rules are matched on the person's
department and access role as they are now; this module decides which
rule-assignments to add and which to withdraw so that the records say so.
"""
from collections.abc import Iterable
from dataclasses import dataclass

from app.assignments.models import FOLLOW_UPS, SOURCES


@dataclass(frozen=True, slots=True)
class PersonFacts:
    id: int
    department_id: int | None
    role: str


@dataclass(frozen=True, slots=True)
class RuleFacts:
    id: int
    certification_slug: str
    department_id: int | None
    role: str | None


@dataclass(frozen=True, slots=True)
class LiveAssignment:
    id: int
    user_id: int
    certification_slug: str
    reason: str
    rule_id: int | None


@dataclass(frozen=True)
class SyncPlan:
    add: list[tuple[int, RuleFacts]]      # (person id, rule) pairs to assign
    withdraw: list[tuple[int, str]]       # (assignment id, why)


def rule_applies(rule: RuleFacts, person: PersonFacts) -> bool:
    return ((rule.department_id is None or rule.department_id == person.department_id)
            and (rule.role is None or rule.role == person.role))


def sync_plan(people: Iterable[PersonFacts], rules: Iterable[RuleFacts], live: Iterable[LiveAssignment]) -> SyncPlan:
    """Bring rule-assignments in line with the rules for these people, and let follow-ups
    (refreshers, retakes) lapse where nothing requires the certification any more."""
    rules = list(rules)
    live = list(live)
    people = list(people)
    in_scope = {p.id for p in people}
    wanted = {(p.id, r.id): r for p in people for r in rules if rule_applies(r, p)}
    have = {(a.user_id, a.rule_id) for a in live if a.reason == "rule"}
    add = [(pid, rule) for (pid, rid), rule in sorted(wanted.items()) if (pid, rid) not in have]
    withdraw = [(a.id, "The rule that required it no longer applies to this person")
                for a in live if a.reason == "rule" and a.user_id in in_scope and (a.user_id, a.rule_id) not in wanted]
    gone = {aid for aid, _ in withdraw}
    sourced = {(a.user_id, a.certification_slug) for a in live if a.reason in SOURCES and a.id not in gone}
    sourced |= {(pid, rule.certification_slug) for pid, rule in add}
    withdraw += [(a.id, "Nothing requires this certification of the person any more")
                 for a in live if a.reason in FOLLOW_UPS and a.user_id in in_scope
                 and (a.user_id, a.certification_slug) not in sourced]
    return SyncPlan(add, withdraw)


def required_slugs(live: Iterable[LiveAssignment]) -> set[str]:
    """The certifications these live assignments make required."""
    return {a.certification_slug for a in live if a.reason in SOURCES}

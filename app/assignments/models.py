"""Assignments: who must earn which certification by when. Evidence: only ever added.

Whether an assignment is satisfied is derived (a certificate, or fresh module
completions, after it was assigned), never stored as a flag that can drift. An
assignment that no longer applies (a rule was removed, the person changed
department, a manager took a platform back) gets a withdrawal row; it is never edited.
"""
from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Department, User
from app.extensions import db
from app.timestamps import UTCDateTime

# Reasons that make a certification required of a person. Refreshers and material-change
# retakes follow from one of these and lapse with it.
SOURCES = ("onboarding", "manual", "rule", "hr-import", "request")
FOLLOW_UPS = ("refresher", "material-change")


class Assignment(db.Model):
    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_user", "user_id", "certification_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    certification_slug: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(String(20))  # one of SOURCES or FOLLOW_UPS
    assigned_at = mapped_column(UTCDateTime, nullable=False)
    due_at = mapped_column(UTCDateTime, nullable=False)
    # Modules to retake after a material change; empty means the whole certification.
    module_slugs: Mapped[list] = mapped_column(JSON, default=list)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system
    note: Mapped[str] = mapped_column(Text, default="")
    # Makes automatic assignment idempotent: e.g. "refresher:certificate:42".
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("requirement_rules.id"))  # reason "rule"

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    withdrawal: Mapped["AssignmentWithdrawal | None"] = relationship(back_populates="assignment")
    rule: Mapped["RequirementRule | None"] = relationship()

    @property
    def why(self) -> str:
        """The reason in words, for people reading a person's page."""
        if self.reason == "rule" and self.rule is not None:
            who = f"everyone in {self.rule.department.name}" if self.rule.department else "everyone"
            return f"Rule: {who}" + (f", role {self.rule.role}" if self.rule.role else "")
        return REASON_WORDS.get(self.reason, self.reason)


REASON_WORDS = {"onboarding": "Onboarding (everyone)", "manual": "Added by an admin", "rule": "Rule",
                "hr-import": "Named in the HR file", "request": "Asked for it; approved",
                "refresher": "Yearly renewal", "material-change": "The course changed"}


class AssignmentWithdrawal(db.Model):
    """The assignment stopped applying at `withdrawn_at`; before that it counts as it always did."""
    __tablename__ = "assignment_withdrawals"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), unique=True)
    withdrawn_at = mapped_column(UTCDateTime, nullable=False)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system
    reason: Mapped[str] = mapped_column(String(300))

    assignment: Mapped[Assignment] = relationship(back_populates="withdrawal")


class RequirementRule(db.Model):
    """'Everyone in Marketing must hold Instagram posting': a department, an access role, or both
    (both must match); neither means everyone."""
    __tablename__ = "requirement_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    certification_slug: Mapped[str] = mapped_column(String(60))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    role: Mapped[str | None] = mapped_column(String(20))
    created_at = mapped_column(UTCDateTime, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    department: Mapped[Department | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    end: Mapped["RequirementRuleEnd | None"] = relationship(back_populates="rule")


class RequirementRuleEnd(db.Model):
    __tablename__ = "requirement_rule_ends"

    rule_id: Mapped[int] = mapped_column(ForeignKey("requirement_rules.id"), primary_key=True)
    ended_at = mapped_column(UTCDateTime, nullable=False)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    rule: Mapped[RequirementRule] = relationship(back_populates="end")


class PlatformRequest(db.Model):
    """A person asks to post on a platform; their manager (or an admin) decides."""
    __tablename__ = "platform_requests"
    __table_args__ = (Index("ix_platform_requests_user", "user_id", "certification_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    certification_slug: Mapped[str] = mapped_column(String(60))
    note: Mapped[str] = mapped_column(Text, default="")
    requested_at = mapped_column(UTCDateTime, nullable=False)

    user: Mapped[User] = relationship()
    decision: Mapped["PlatformRequestDecision | None"] = relationship(back_populates="request")


class PlatformRequestDecision(db.Model):
    __tablename__ = "platform_request_decisions"

    request_id: Mapped[int] = mapped_column(ForeignKey("platform_requests.id"), primary_key=True)
    approved: Mapped[bool] = mapped_column()
    decided_at = mapped_column(UTCDateTime, nullable=False)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    request: Mapped[PlatformRequest] = relationship(back_populates="decision")
    decided_by: Mapped[User] = relationship()


def live_at(at=None):
    """Assignments not withdrawn by `at` (default: not withdrawn at all), as a WHERE condition."""
    if at is None:
        return ~Assignment.withdrawal.has()
    return ~Assignment.withdrawal.has(AssignmentWithdrawal.withdrawn_at <= at)

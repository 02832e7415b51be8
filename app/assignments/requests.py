"""A person asks to post on a platform; their manager or an admin approves (it becomes a
requirement, with a due date and yearly renewal) or declines, with a note either way."""
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.assignments.models import PlatformRequest, PlatformRequestDecision
from app.assignments.requirements import (
    RequirementError,
    assign_requirement,
    live_assignments,
    optional_certifications,
)
from app.assignments.rules import required_slugs
from app.audit.services import record
from app.extensions import db
from app.quizzes.services import lock_person


def request_platform(person: User, slug: str, note: str, now: datetime) -> PlatformRequest:
    titles = optional_certifications()
    if slug not in titles:
        raise RequirementError("There is no such platform to ask for.")
    lock_person(person.id)  # two clicks at once make one request
    if slug in required_slugs(live_assignments([person.id])):
        raise RequirementError(f"{titles[slug]} is already part of your training.")
    if pending_request(person, slug) is not None:
        raise RequirementError(f"You have asked for {titles[slug]} already; your manager has not decided yet.")
    request = PlatformRequest(user_id=person.id, certification_slug=slug, note=note.strip()[:1000], requested_at=now)
    db.session.add(request)
    db.session.flush()
    record("platform_request.made", actor=person, subject_type="platform_request", subject_id=request.id,
           details={"certification": slug}, at=now)
    return request


def pending_request(person: User, slug: str) -> PlatformRequest | None:
    return db.session.scalar(
        select(PlatformRequest).outerjoin(PlatformRequestDecision)
        .where(PlatformRequest.user_id == person.id, PlatformRequest.certification_slug == slug,
               PlatformRequestDecision.request_id.is_(None)).limit(1))


def pending_requests(person_ids) -> list[PlatformRequest]:
    """Undecided requests of these people (a list or a query of ids), oldest first."""
    return list(db.session.scalars(
        select(PlatformRequest).outerjoin(PlatformRequestDecision)
        .where(PlatformRequest.user_id.in_(person_ids), PlatformRequestDecision.request_id.is_(None))
        .order_by(PlatformRequest.requested_at).options(selectinload(PlatformRequest.user))))


def decide_request(actor: User, request: PlatformRequest, approved: bool, note: str, now: datetime) -> None:
    if request.decision is not None:
        raise RequirementError("This request has been decided already.")
    try:
        with db.session.begin_nested():
            db.session.add(PlatformRequestDecision(request_id=request.id, approved=approved, decided_at=now,
                                                   decided_by_id=actor.id, note=note.strip()[:1000]))
    except IntegrityError:  # someone else decided in the same moment
        raise RequirementError("This request has been decided already.") from None
    slug = request.certification_slug
    if approved and slug not in required_slugs(live_assignments([request.user_id])):
        assign_requirement(request.user, slug, "request", f"request:{request.id}", now, actor,
                           "Asked for by the person, approved")
    db.session.flush()
    record("platform_request.approved" if approved else "platform_request.declined", actor=actor,
           subject_type="platform_request", subject_id=request.id,
           details={"certification": slug, "person_id": request.user_id}, at=now)

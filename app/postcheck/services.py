"""Checking a post: the verbs the page, the API and the benchmark call.

The text is never stored or logged unless its author chooses to save the check; what is counted
(by month, for compliance) is only which kinds of findings came up.
"""
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from app.courses.content import read_courses
from app.extensions import db
from app.postcheck.analyzer import detect
from app.postcheck.catalogue import Catalogue, read_catalogue
from app.postcheck.models import PostCheckCount, SavedPostCheck
from app.postcheck.remote import CheckerUnavailable, detect_remotely
from app.postcheck.rules import CheckResult, judge

MAX_LENGTH = 10_000  # characters: longer than any platform allows a post to be
COURSE = "hipaa-social-media"
PLATFORMS = ("instagram", "facebook", "tiktok", "linkedin", "x", "youtube", "google-reviews", "yelp", "other")


class PostCheckError(Exception):
    """Input the checker refuses; the message says why."""


@dataclass(frozen=True)
class Draft:
    text: str
    platform: str


def draft(text: str | None, platform: str | None) -> Draft:
    text = (text or "").strip()
    platform = (platform or "other").strip().lower()
    if not text:
        raise PostCheckError("Paste the text of your post.")
    if len(text) > MAX_LENGTH:
        raise PostCheckError(f"That is {len(text):,} characters; the checker reads posts of up to {MAX_LENGTH:,}.")
    if platform not in PLATFORMS:
        raise PostCheckError(f"Unknown platform {platform!r}; use one of: {', '.join(PLATFORMS)}.")
    return Draft(text, platform)


@lru_cache(maxsize=4)
def _catalogue(directory: str, stamp: float) -> tuple[Catalogue, dict[str, str]]:
    courses, problems = read_courses(Path(directory))
    course = next((c for c in courses if c.slug == COURSE), None)
    modules = course.modules if course else ()
    catalogue, catalogue_problems = read_catalogue(Path(directory), lessons_by_module(modules), COURSE)
    if catalogue is None:  # `postready courses check` names them; the site keeps working without the checker
        current_app.logger.error("post checks are off: %s", "; ".join(map(str, catalogue_problems)))
        raise CheckerUnavailable("The post checker's rules file has problems (see the log).")
    titles = {f"/learn/{COURSE}/{m.slug}/{lesson.slug}": lesson.title for m in modules for lesson in m.lessons}
    return catalogue, titles


def lessons_by_module(modules) -> dict[str, set[str]]:
    return {m.slug: {lesson.slug for lesson in m.lessons} for m in modules}


def _loaded() -> tuple[Catalogue, dict[str, str]]:
    directory = current_app.config["COURSES_DIR"]
    file = Path(directory) / "post-checks.yaml"
    return _catalogue(str(directory), file.stat().st_mtime if file.exists() else 0.0)


def catalogue() -> Catalogue:
    return _loaded()[0]


def lesson_titles() -> dict[str, str]:
    """Each cited lesson's title, by its path."""
    return _loaded()[1]


def check(post: Draft) -> CheckResult:
    """Run in this process, or by the checker service at POST_CHECK_URL (app.postcheck.remote), which
    keeps the language model's memory out of the web workers."""
    if current_app.config.get("POST_CHECK_URL"):
        detections = detect_remotely(current_app.config["POST_CHECK_URL"], post.text)
    else:
        detections = detect(post.text)
    return judge(post.text, post.platform, detections, catalogue())


def count(result: CheckResult, now: datetime) -> None:
    """Add one check to this month's anonymous counts (the caller commits)."""
    month = f"{now:%Y-%m}"
    keys = ["checks", f"verdict:{result.verdict}", *result.kinds]
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(PostCheckCount).values([{"month": month, "kind": k, "count": 1} for k in keys])
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["month", "kind"], set_={"count": PostCheckCount.count + statement.excluded.count}))


def finding_json(finding, base_url: str = "") -> dict:
    return {"kind": finding.kind, "start": finding.start, "end": finding.end, "message": finding.message,
            "lesson_url": base_url + finding.lesson_path, "rule": finding.rule, "severity": finding.severity}


def save(user, post: Draft, result: CheckResult, now: datetime) -> SavedPostCheck:
    saved = SavedPostCheck(user_id=user.id, created_at=now, platform=post.platform, text=post.text,
                           verdict=result.verdict, findings=[finding_json(f) for f in result.findings])
    db.session.add(saved)
    return saved


def saved_checks(user, limit: int = 20) -> list[SavedPostCheck]:
    return list(db.session.scalars(select(SavedPostCheck).where(SavedPostCheck.user_id == user.id)
                                   .order_by(SavedPostCheck.created_at.desc()).limit(limit)))


def monthly_counts(months: int = 6) -> tuple[list[str], dict[str, dict[str, int]]]:
    """The latest months with checks, and for each kind its count per month."""
    rows = db.session.execute(select(PostCheckCount.month, PostCheckCount.kind, PostCheckCount.count)).all()
    recent = sorted({m for m, _, _ in rows}, reverse=True)[:months]
    table: dict[str, dict[str, int]] = {}
    for month, kind, n in rows:
        if month in recent:
            table.setdefault(kind, {})[month] = n
    return recent, table

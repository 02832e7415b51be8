"""My training's plan, as a pure function: what is required and by when, the next thing to open
for each, progress over required modules only, and the optional platforms set apart."""
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from app.courses.overview import CourseOverview, ModuleRow
from app.reports.personal import OwnRequirement
from app.reports.rules import Status


@dataclass(frozen=True)
class PlanItem:
    own: OwnRequirement
    course_slug: str
    next_row: ModuleRow | None     # the module to open next; None when nothing is left to do
    action: str                    # "Start", "Continue", "Renew" or ""
    days_left: int | None          # to the due date (negative: overdue)


@dataclass(frozen=True)
class OptionalPlatform:
    own: OwnRequirement
    course_slug: str
    rows: list[ModuleRow]
    request: object | None = None  # the newest PlatformRequest for it, if any


@dataclass(frozen=True)
class TrainingPlan:
    required: list[PlanItem]
    optional: list[OptionalPlatform]
    required_modules: int
    required_done: int
    required_slugs: set[str] = field(default_factory=set)

    @property
    def next_item(self) -> PlanItem | None:
        """The most urgent required item with something to do: overdue first, then by due date."""
        todo = [i for i in self.required if i.next_row is not None]
        return min(todo, key=lambda i: (i.days_left is None, i.days_left or 0)) if todo else None


def training_plan(overviews: list[CourseOverview], mine: list[OwnRequirement], renew: set[str],
                  requests: dict, today: date, for_everyone: Collection[str] = ("core",)) -> TrainingPlan:
    """`for_everyone`: certifications required of every person, with or without an assignment on record."""
    rows: dict[str, tuple[str, ModuleRow]] = {
        r.module.slug: (ov.version.course.slug, r) for ov in overviews for r in ov.modules}
    required, optional, required_slugs = [], [], set()
    for own in mine:
        slugs = [s for s in own.requirement.module_slugs if s in rows]
        if not slugs:
            continue
        course_slug = rows[slugs[0]][0]
        if not own.cell.required and own.requirement.slug not in for_everyone:
            optional.append(OptionalPlatform(own, course_slug, [rows[s][1] for s in slugs],
                                             requests.get(own.requirement.slug)))
            continue
        required_slugs.update(slugs)
        todo = [rows[s][1] for s in slugs if s in renew or not rows[s][1].progress.completed_at]
        renewing = own.cell.status in (Status.EXPIRING, Status.EXPIRED) or any(s in renew for s in slugs)
        if own.done and not renewing:
            todo = []
        started = any(rows[s][1].progress.lessons_viewed or rows[s][1].progress.attempts for s in slugs)
        action = "" if not todo else "Renew" if renewing else "Continue" if started else "Start"
        required.append(PlanItem(own, course_slug, todo[0] if todo else None, action, own.days_left(today)))
    done = sum(1 for s in required_slugs if rows[s][1].progress.completed_at and s not in renew)
    return TrainingPlan(required, optional, len(required_slugs), done, required_slugs)

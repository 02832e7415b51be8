"""Retakes after a material course change that are overdue: they hold back the rights they touch."""
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, select

from app.assignments.models import Assignment, live_at
from app.courses.models import Module, ModuleCompletion
from app.extensions import db

_OVERDUE = (select(Assignment.user_id, Assignment.certification_slug, Assignment.module_slugs,
                   Assignment.assigned_at, Assignment.due_at)
            .where(Assignment.user_id.in_(bindparam("ids", expanding=True)), Assignment.reason == "material-change",
                   Assignment.due_at <= bindparam("moment"), live_at(bindparam("moment"))))


def overdue_retakes(user_ids: Sequence[int], moment: datetime) -> dict[int, dict[str, datetime]]:
    """Per person: certification slug → due date of each material-change retake past due at `moment`
    and not done (every changed module completed after it was assigned). One query, and a second
    only for the people who have such a retake."""
    rows = db.session.execute(_OVERDUE, {"ids": list(user_ids), "moment": moment}).all()
    if not rows:
        return {}
    late_people = {row.user_id for row in rows}
    done = {(uid, slug): at for uid, slug, at in db.session.execute(
        select(ModuleCompletion.user_id, Module.slug, func.max(ModuleCompletion.completed_at))
        .join(Module, ModuleCompletion.module_id == Module.id)
        .where(ModuleCompletion.user_id.in_(late_people), ModuleCompletion.completed_at <= moment)
        .group_by(ModuleCompletion.user_id, Module.slug))}
    result: dict[int, dict[str, datetime]] = defaultdict(dict)
    for uid, slug, modules, assigned_at, due_at in rows:
        if not all(done.get((uid, m)) and done[(uid, m)] >= assigned_at for m in modules):
            result[uid][slug] = min(due_at, result[uid].get(slug, due_at))
    return result

"""Rows that a unique constraint allows only once: inserting one that exists is not an error.

Two requests can race to insert the same row (a double-clicked submission, two renderers storing
the same PDF). The constraint decides; these helpers turn "already there" into False or a count,
and the caller turns that into its domain error.
"""
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError


def add_once(session, row) -> bool:
    """Add `row` in a savepoint: False (and nothing else undone) when its twin already exists."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def insert_ignoring_conflicts(session, model, rows: list[dict], conflict_columns: list[str]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING; returns how many of `rows` were new."""
    if not rows:
        return 0
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = model.__table__
    statement = (dialect.insert(table).on_conflict_do_nothing(index_elements=conflict_columns)
                 .returning(*table.primary_key.columns))
    return len(session.execute(statement, rows).all())

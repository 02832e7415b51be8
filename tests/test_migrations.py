"""The schema comes only from migrations, and the models match them exactly."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import Migrate  # noqa: F401  (the extension that owns the Alembic config)

from app import MIGRATIONS_DIR
from app.extensions import db


def _scripts(app) -> ScriptDirectory:
    config = app.extensions["migrate"].migrate.get_config(MIGRATIONS_DIR)
    return ScriptDirectory.from_config(config)


def test_migrations_have_a_single_head(app):
    assert len(_scripts(app).get_heads()) == 1


def test_migration_files_are_dated(app):
    import re
    from pathlib import Path

    names = [p.name for p in (Path(MIGRATIONS_DIR) / "versions").glob("*.py")]
    assert names and all(re.match(r"^\d{8}_[0-9a-f]+_\w+\.py$", n) for n in names), names


def test_models_match_the_migrated_schema(app):

    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_database_is_at_head(app):
    with db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    assert set(current) == set(_scripts(app).get_heads())

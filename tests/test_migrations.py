"""The schema comes only from migrations, and the models match them exactly."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.extensions import db, migrations
from app.paths import MIGRATIONS_DIR


def _scripts(app) -> ScriptDirectory:
    config = migrations(app).migrate.get_config(MIGRATIONS_DIR)
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


def test_placement_history_starts_from_what_the_user_rows_say(app, people):
    """Upgrading a database that has people gives each one a placement from the day they were added,
    and a deactivated person a second one from the day they left."""
    from datetime import timedelta

    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from app.timestamps import utcnow

    migrations(app)
    left = utcnow() + timedelta(minutes=1)  # after they were added
    gone = people.deactivated.id
    db.session.execute(text("UPDATE users SET deactivated_at = :left WHERE id = :id"),
                       {"left": left, "id": gone})
    db.session.commit()
    db.session.remove()
    downgrade(revision="65c43fac36bd")
    try:
        upgrade()
        rows = db.session.execute(text(
            "SELECT user_id, department_id, manager_id, active FROM person_placements "
            "ORDER BY user_id, effective_at")).all()
    finally:
        db.session.remove()
        upgrade()  # head again, whatever happened
    users = db.session.execute(text("SELECT id, department_id, manager_id FROM users ORDER BY id")).all()
    expected = []
    for uid, department, manager in users:
        expected.append((uid, department, manager, True))
        if uid == gone:
            expected.append((uid, department, manager, False))
    assert [tuple(r) for r in rows] == expected


def test_db_commands_load_alembic_and_web_workers_do_not(app, cli):
    import subprocess
    import sys
    from pathlib import Path

    result = cli("db", "check")  # models against the migrated database, through the lazy `db` group
    assert result.exit_code == 0 and "alembic.runtime.migration" in result.output, result.output
    probe = "import sys, wsgi; print('alembic' in sys.modules, 'flask_migrate' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], cwd=Path(__file__).parent.parent, capture_output=True,
                         text=True, env={"SECRET_KEY": "probe-secret-key-0123456789abcdef", "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "False False", out.stderr

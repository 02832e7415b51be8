"""Extensions, created unbound and attached to an app in create_app()."""
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

# Stable constraint names so Alembic migrations are reproducible on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
login_manager = LoginManager()
csrf = CSRFProtect()
# Storage comes from RATELIMIT_STORAGE_URI: Redis when REDIS_URL is set, so limits
# hold across gunicorn workers; memory otherwise.
limiter = Limiter(key_func=get_remote_address)


def migrations(app):
    """Flask-Migrate, bound to the app on first use: Alembic is loaded where migrations run (the
    `db` commands, the demo, the tests), never in a web worker, which it would cost 11 MB."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        from app.paths import MIGRATIONS_DIR

        Migrate(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    return app.extensions["migrate"]

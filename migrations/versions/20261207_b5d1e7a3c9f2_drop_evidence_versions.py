"""drop evidence versions: the per-worker report cell cache they served is gone

Dashboards compute every cell from the records each time (a team page reads its records in a
fixed number of queries), so the per-person counter and the triggers that bumped it have no
reader left. Dropping them also takes a write off every evidence insert.

Revision ID: b5d1e7a3c9f2
Revises: 9c2e61d0b7a4
Create Date: 2026-12-07 15:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b5d1e7a3c9f2'
down_revision = '9c2e61d0b7a4'
branch_labels = None
depends_on = None

# table -> how to reach the person from the new row (as migration 9c2e61d0b7a4 created them)
OWNER = {
    "certificates": "NEW.user_id",
    "certificate_revocations": "(SELECT user_id FROM certificates WHERE id = NEW.certificate_id)",
    "module_completions": "NEW.user_id",
    "lesson_views": "NEW.user_id",
    "assignments": "NEW.user_id",
    "rights_suspensions": "NEW.user_id",
    "rights_suspension_lifts": "(SELECT user_id FROM rights_suspensions WHERE id = NEW.suspension_id)",
}
BUMP = "UPDATE evidence_versions SET version = version + 1 WHERE user_id = {owner};"
START = "INSERT INTO evidence_versions (user_id, version) VALUES (NEW.id, 0);"


def _trigger(postgres: bool, name: str, function: str, table: str, body: str) -> None:
    if postgres:
        op.execute(f"CREATE FUNCTION {function}() RETURNS trigger AS $$ BEGIN {body} RETURN NULL; END; $$ "
                   "LANGUAGE plpgsql")
        op.execute(f"CREATE TRIGGER {name} AFTER INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()")
    else:
        op.execute(f"CREATE TRIGGER {name} AFTER INSERT ON {table} BEGIN {body} END")


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in OWNER:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_bumps_evidence_version ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS postready_{table}_bump_evidence()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_bumps_evidence_version")
    if postgres:
        op.execute("DROP TRIGGER IF EXISTS users_start_evidence_version ON users")
        op.execute("DROP FUNCTION IF EXISTS postready_start_evidence_version()")
    else:
        op.execute("DROP TRIGGER IF EXISTS users_start_evidence_version")
    op.drop_table("evidence_versions")


def downgrade():
    op.create_table('evidence_versions',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_evidence_versions_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_evidence_versions'))
    )
    op.execute("INSERT INTO evidence_versions (user_id, version) SELECT id, 0 FROM users")
    postgres = op.get_bind().dialect.name == "postgresql"
    _trigger(postgres, "users_start_evidence_version", "postready_start_evidence_version", "users", START)
    for table, owner in OWNER.items():
        _trigger(postgres, f"{table}_bumps_evidence_version", f"postready_{table}_bump_evidence", table,
                 BUMP.format(owner=owner))

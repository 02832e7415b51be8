"""evidence versions: a per-person counter bumped by triggers whenever a report-deciding record is added

The records: certificates and their revocations, module completions, lesson views, assignments,
rights suspensions and their lifts. Reports keep each person's computed cells per process and
reuse them while this counter is unchanged (app/reports/cell_cache.py). Triggers, not
application code, bump it: every writer of those tables, present and future (the seeder's COPY
included), is covered without remembering to.

The counter has a narrow table of its own, one row per person (created by a trigger on users),
not a column of users: on PostgreSQL every bump leaves a dead row version behind, and a burst of
evidence (refresher week, a bulk load) would bloat the table every request reads to sign a person
in. Here the bumps stay on small pages kept half empty, so they are HOT updates, pruned in place.

Revision ID: 9c2e61d0b7a4
Revises: 4a3c1077bc8f
Create Date: 2026-12-01 16:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '9c2e61d0b7a4'
down_revision = '4a3c1077bc8f'
branch_labels = None
depends_on = None

# table -> how to reach the person from the new row
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


def upgrade():
    op.create_table('evidence_versions',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_evidence_versions_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_evidence_versions'))
    )
    op.execute("INSERT INTO evidence_versions (user_id, version) SELECT id, 0 FROM users")
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE evidence_versions SET (fillfactor = 50)")
        op.execute(f"CREATE FUNCTION postready_start_evidence_version() RETURNS trigger AS $$ "
                   f"BEGIN {START} RETURN NULL; END; $$ LANGUAGE plpgsql")
        op.execute("CREATE TRIGGER users_start_evidence_version AFTER INSERT ON users "
                   "FOR EACH ROW EXECUTE FUNCTION postready_start_evidence_version()")
    else:
        op.execute(f"CREATE TRIGGER users_start_evidence_version AFTER INSERT ON users BEGIN {START} END")
    for table, owner in OWNER.items():
        if postgres:
            op.execute(f"CREATE FUNCTION postready_{table}_bump_evidence() RETURNS trigger AS $$ "
                       f"BEGIN {BUMP.format(owner=owner)} RETURN NULL; END; $$ LANGUAGE plpgsql")
            op.execute(f"CREATE TRIGGER {table}_bumps_evidence_version AFTER INSERT ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION postready_{table}_bump_evidence()")
        else:
            op.execute(f"CREATE TRIGGER {table}_bumps_evidence_version AFTER INSERT ON {table} "
                       f"BEGIN {BUMP.format(owner=owner)} END")


def downgrade():
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

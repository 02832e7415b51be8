"""evidence version: a per-person counter bumped by triggers whenever a report-deciding record is added

The records: certificates and their revocations, module completions, lesson views, assignments,
rights suspensions and their lifts.

Reports keep each person's computed cells per process and reuse them while this counter is
unchanged (app/reports/cell_cache.py). Triggers, not application code, bump it: every writer of
those tables, present and future (the seeder's COPY included), is covered without remembering to.

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
BUMP = "UPDATE users SET evidence_version = evidence_version + 1 WHERE id = {owner};"


def upgrade():
    op.add_column('users', sa.Column('evidence_version', sa.Integer(), server_default='0', nullable=False))
    postgres = op.get_bind().dialect.name == "postgresql"
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
    # A plain ALTER (SQLite 3.35+): batch mode would copy `users`, which every evidence table references.
    op.drop_column('users', 'evidence_version')

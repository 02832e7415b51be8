"""per-person requirements: rules by department or role, platform requests and their decisions,
and withdrawals of assignments that no longer apply; all append-only

Revision ID: f1a9c3e5b7d2
Revises: e6b2d8f4a1c7
Create Date: 2026-12-07 20:20:00

"""
import sqlalchemy as sa
from alembic import op

from app.timestamps import UTCDateTime

revision = 'f1a9c3e5b7d2'
down_revision = 'e6b2d8f4a1c7'
branch_labels = None
depends_on = None

APPEND_ONLY = ["requirement_rules", "requirement_rule_ends", "platform_requests", "platform_request_decisions",
               "assignment_withdrawals"]


def upgrade():
    op.create_table(
        'requirement_rules',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('certification_slug', sa.String(length=60), nullable=False),
        sa.Column('department_id', sa.Integer(), sa.ForeignKey('departments.id'), nullable=True),
        sa.Column('role', sa.String(length=20), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
    )
    op.create_table(
        'requirement_rule_ends',
        sa.Column('rule_id', sa.Integer(), sa.ForeignKey('requirement_rules.id'), primary_key=True),
        sa.Column('ended_at', UTCDateTime(), nullable=False),
        sa.Column('ended_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
    )
    op.create_table(
        'platform_requests',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('certification_slug', sa.String(length=60), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('requested_at', UTCDateTime(), nullable=False),
    )
    op.create_index('ix_platform_requests_user', 'platform_requests', ['user_id', 'certification_slug'])
    op.create_table(
        'platform_request_decisions',
        sa.Column('request_id', sa.Integer(), sa.ForeignKey('platform_requests.id'), primary_key=True),
        sa.Column('approved', sa.Boolean(), nullable=False),
        sa.Column('decided_at', UTCDateTime(), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
    )
    op.create_table(
        'assignment_withdrawals',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('assignment_id', sa.Integer(), sa.ForeignKey('assignments.id'), nullable=False, unique=True),
        sa.Column('withdrawn_at', UTCDateTime(), nullable=False),
        sa.Column('withdrawn_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('reason', sa.String(length=300), nullable=False),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.add_column('assignments', sa.Column('rule_id', sa.Integer(), sa.ForeignKey('requirement_rules.id'),
                                               nullable=True))
    else:  # plain ADD COLUMN (no table rebuild): assignments keeps its append-only triggers
        op.execute("ALTER TABLE assignments ADD COLUMN rule_id INTEGER REFERENCES requirement_rules (id)")
    for table in APPEND_ONLY:
        if postgres:  # postready_append_only() comes from migration 65c43fac36bd
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION postready_append_only()")
        else:
            for verb in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: add a new row instead'); END")


def downgrade():
    with op.batch_alter_table('assignments') as batch:  # SQLite cannot drop a foreign-key column in place
        batch.drop_column('rule_id')
    for table in reversed(APPEND_ONLY):
        op.drop_table(table)

"""questions name their lesson and variant rule; rereads before a retake; the policy, its attestations,
and the version a certificate's holder had signed

Revision ID: d3f7a1c5e9b2
Revises: c8a4f2e6d1b3
Create Date: 2026-12-07 18:10:00

"""
import sqlalchemy as sa
from alembic import op

from app.timestamps import UTCDateTime

revision = 'd3f7a1c5e9b2'
down_revision = 'c8a4f2e6d1b3'
branch_labels = None
depends_on = None

APPEND_ONLY = ["rereads", "policy_versions", "policy_attestations"]


def upgrade():
    # Plain ADD COLUMN (no table rebuild): the questions table keeps its append-only triggers.
    # SQLite adds a column with its REFERENCES clause natively; Alembic would ask for a batch rebuild.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE questions ADD COLUMN lesson_id INTEGER REFERENCES lessons (id)")
    else:
        op.add_column('questions', sa.Column('lesson_id', sa.Integer(), sa.ForeignKey('lessons.id'), nullable=True))
    op.add_column('questions', sa.Column('variant_rule', sa.String(length=60), nullable=True))
    op.add_column('questions', sa.Column('permissive', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        'rereads',
        sa.Column('attempt_id', sa.Integer(), sa.ForeignKey('attempts.id'), primary_key=True),
        sa.Column('lesson_id', sa.Integer(), sa.ForeignKey('lessons.id'), primary_key=True),
        sa.Column('viewed_at', UTCDateTime(), nullable=False),
    )
    op.create_table(
        'policy_versions',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('sha256', sa.String(length=64), nullable=False, unique=True),
        sa.Column('version_label', sa.String(length=40), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body_markdown', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=False),
        sa.Column('grace_days', sa.Integer(), nullable=False),
        sa.Column('loaded_at', UTCDateTime(), nullable=False),
    )
    op.create_table(
        'policy_attestations',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('policy_version_id', sa.Integer(), sa.ForeignKey('policy_versions.id'), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('typed_name', sa.String(length=200), nullable=False),
        sa.Column('attested_at', UTCDateTime(), nullable=False),
        sa.UniqueConstraint('user_id', 'policy_version_id'),
    )
    op.create_index('ix_policy_attestations_user', 'policy_attestations', ['user_id', 'attested_at'])
    if op.get_bind().dialect.name == "sqlite":  # as above: no rebuild, the triggers stay
        op.execute("ALTER TABLE certificates ADD COLUMN policy_version_id INTEGER REFERENCES policy_versions (id)")
    else:
        op.add_column('certificates', sa.Column('policy_version_id', sa.Integer(),
                                                sa.ForeignKey('policy_versions.id'), nullable=True))
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in APPEND_ONLY:
        if postgres:  # postready_append_only() comes from migration 65c43fac36bd
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION postready_append_only()")
        else:
            for verb in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: add a new row instead'); END")


def downgrade():
    with op.batch_alter_table('certificates') as batch:
        batch.drop_column('policy_version_id')
    op.drop_table('policy_attestations')
    op.drop_table('policy_versions')
    op.drop_table('rereads')
    with op.batch_alter_table('questions') as batch:
        batch.drop_column('permissive')
        batch.drop_column('variant_rule')
        batch.drop_column('lesson_id')

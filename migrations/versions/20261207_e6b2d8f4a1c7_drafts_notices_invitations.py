"""answer drafts: a quiz's choices saved as they are made, restored when the person comes back;
certificate notices: the holder was emailed once; invitations and reset links emailed; a person's time zone

Revision ID: e6b2d8f4a1c7
Revises: d3f7a1c5e9b2
Create Date: 2026-12-07 18:20:00

"""
import sqlalchemy as sa
from alembic import op

from app.timestamps import UTCDateTime

revision = 'e6b2d8f4a1c7'
down_revision = 'd3f7a1c5e9b2'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('timezone', sa.String(length=64), nullable=True))
    op.create_table(
        'answer_drafts',
        sa.Column('attempt_id', sa.Integer(), sa.ForeignKey('attempts.id'), primary_key=True),
        sa.Column('question_id', sa.Integer(), sa.ForeignKey('questions.id'), primary_key=True),
        sa.Column('option_ids', sa.JSON(), nullable=False),
        sa.Column('saved_at', UTCDateTime(), nullable=False),
    )
    op.create_table(
        'invitations',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('purpose', sa.String(length=10), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('sent_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('sent_at', UTCDateTime(), nullable=False),
    )
    op.create_index('ix_invitations_user_id', 'invitations', ['user_id'])
    op.create_table(
        'certificate_notices',
        sa.Column('certificate_id', sa.Integer(), sa.ForeignKey('certificates.id'), primary_key=True),
        sa.Column('sent_at', UTCDateTime(), nullable=False),
    )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":  # a plain column: SQLite drops it without rebuilding users
        op.execute("ALTER TABLE users DROP COLUMN timezone")
    else:
        op.drop_column('users', 'timezone')
    op.drop_table('certificate_notices')
    op.drop_table('invitations')
    op.drop_table('answer_drafts')

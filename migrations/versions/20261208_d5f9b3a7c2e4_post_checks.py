"""Post checks: anonymous monthly counts of what the checker found, and the checks people chose to keep

Revision ID: d5f9b3a7c2e4
Revises: c4e8a2f6b1d3
Create Date: 2026-12-08 01:00:00

"""
import sqlalchemy as sa
from alembic import op

from app.timestamps import UTCDateTime

revision = 'd5f9b3a7c2e4'
down_revision = 'c4e8a2f6b1d3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'post_check_counts',
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'kind'),
    )
    op.create_table(
        'saved_post_checks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('platform', sa.String(length=20), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('verdict', sa.String(length=10), nullable=False),
        sa.Column('findings', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_saved_post_checks_user', 'saved_post_checks', ['user_id', 'created_at'])


def downgrade():
    op.drop_index('ix_saved_post_checks_user', 'saved_post_checks')
    op.drop_table('saved_post_checks')
    op.drop_table('post_check_counts')

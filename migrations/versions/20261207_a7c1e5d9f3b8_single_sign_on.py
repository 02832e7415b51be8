"""single sign-on: identities linked at first sign-in, SAML assertions already used, and on people:
break-glass password sign-in, created by SSO (to review), admin by the provider's group

Revision ID: a7c1e5d9f3b8
Revises: f1a9c3e5b7d2
Create Date: 2026-12-07 20:50:00

"""
import sqlalchemy as sa
from alembic import op

from app.timestamps import UTCDateTime

revision = 'a7c1e5d9f3b8'
down_revision = 'f1a9c3e5b7d2'
branch_labels = None
depends_on = None

FLAGS = ("break_glass", "needs_review", "admin_from_group")


def upgrade():
    op.create_table(
        'sso_identities',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('issuer', sa.String(length=500), nullable=False),
        sa.Column('subject', sa.String(length=500), nullable=False),
        sa.Column('linked_at', UTCDateTime(), nullable=False),
        sa.UniqueConstraint('issuer', 'subject'),
    )
    op.create_index('ix_sso_identities_user_id', 'sso_identities', ['user_id'])
    op.create_table(
        'saml_assertions_seen',
        sa.Column('assertion_id', sa.String(length=200), primary_key=True),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
    )
    op.create_index('ix_saml_assertions_seen_expires_at', 'saml_assertions_seen', ['expires_at'])
    for flag in FLAGS:  # plain ADD COLUMN on SQLite too: no rebuild of users
        op.add_column('users', sa.Column(flag, sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    for flag in FLAGS:
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE users DROP COLUMN {flag}")
        else:
            op.drop_column('users', flag)
    op.drop_table('saml_assertions_seen')
    op.drop_table('sso_identities')

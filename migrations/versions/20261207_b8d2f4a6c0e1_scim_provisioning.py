"""SCIM provisioning: a scope on API tokens (rights or scim), and on people: the identity provider's
external id, the userName it sent, an employee number, whether SCIM manages them and when SCIM deleted them

Revision ID: b8d2f4a6c0e1
Revises: a7c1e5d9f3b8
Create Date: 2026-12-07 21:00:00

"""
import sqlalchemy as sa
from alembic import op

from app.timestamps import UTCDateTime

revision = 'b8d2f4a6c0e1'
down_revision = 'a7c1e5d9f3b8'
branch_labels = None
depends_on = None

USER_COLUMNS = ("external_id", "employee_number", "scim_managed", "scim_deleted_at", "scim_user_name")
USER_NAME_INDEX = "ix_users_scim_user_name"


def upgrade():
    # Plain ADD COLUMN on SQLite too (no table rebuild); existing tokens keep calling the rights API.
    op.add_column('api_tokens', sa.Column('scope', sa.String(length=10), nullable=False, server_default='rights'))
    op.add_column('users', sa.Column('external_id', sa.String(length=255), nullable=True))
    op.add_column('users', sa.Column('employee_number', sa.String(length=64), nullable=True))
    op.add_column('users', sa.Column('scim_managed', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('users', sa.Column('scim_deleted_at', UTCDateTime(), nullable=True))
    op.create_index('ix_users_external_id', 'users', ['external_id'])
    op.add_column('users', sa.Column('scim_user_name', sa.String(length=255), nullable=True))
    # Unique as sent; app/scim/services.py also refuses one that differs only in case (RFC 7643: caseExact
    # false). Not lower(...) here: SQLite cannot reflect an expression index, so models could not match.
    op.create_index(USER_NAME_INDEX, 'users', ['scim_user_name'], unique=True)


def downgrade():
    op.drop_index(USER_NAME_INDEX, 'users')
    op.drop_index('ix_users_external_id', 'users')
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column in [('users', c) for c in reversed(USER_COLUMNS)] + [('api_tokens', 'scope')]:
        if sqlite:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        else:
            op.drop_column(table, column)

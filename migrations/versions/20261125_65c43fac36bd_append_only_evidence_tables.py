"""append only evidence tables

Revision ID: 65c43fac36bd
Revises: aaf50663a47d
Create Date: 2026-11-25 15:37:23.079806

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '65c43fac36bd'
down_revision = 'aaf50663a47d'
branch_labels = None
depends_on = None


# Compliance evidence is append-only: a correction is a new row, never an edit.
EVIDENCE_TABLES = [
    "attempts", "attempt_questions", "submissions", "answers", "module_completions",
    "certificates", "certificate_revocations", "certificate_pdfs",
    "rights_suspensions", "rights_suspension_lifts", "assignments", "audit_events",
]


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION postready_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only evidence: add a new row instead of changing one', TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege';
            END;
            $$ LANGUAGE plpgsql
        """)
        for table in EVIDENCE_TABLES:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION postready_append_only()")
    else:
        for table in EVIDENCE_TABLES:
            for verb in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{table} is append-only evidence: add a new row instead'); END")


def downgrade():
    bind = op.get_bind()
    for table in EVIDENCE_TABLES:
        if bind.dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS postready_append_only()")

"""append-only lesson views and course content: what a quiz drew and a learner read never changes

Lesson views are evidence (the dashboard's "in progress", the quiz's unlock). Course content rows
(versions, modules, lessons, questions, options, certifications) are what attempts, answers and
certificates point at: a sync adds a new version, and an edited question would silently change
what an old answer meant.

Revision ID: c8a4f2e6d1b3
Revises: b5d1e7a3c9f2
Create Date: 2026-12-07 16:00:00

"""
from alembic import op


revision = 'c8a4f2e6d1b3'
down_revision = 'b5d1e7a3c9f2'
branch_labels = None
depends_on = None

TABLES = ["lesson_views", "course_versions", "modules", "lessons", "questions", "question_options", "certifications"]


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgres:  # postready_append_only() comes from migration 65c43fac36bd
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION postready_append_only()")
        else:
            for verb in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: add a new row instead'); END")


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")

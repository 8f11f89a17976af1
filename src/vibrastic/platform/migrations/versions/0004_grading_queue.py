"""The grading queue's own tables on PostgreSQL: procrastinate's schema (SQLite has none).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    exists = op.get_bind().exec_driver_sql(
        "SELECT to_regclass('procrastinate_jobs') IS NOT NULL").scalar()
    if not exists:
        op.get_bind().exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))


def downgrade() -> None:
    """procrastinate's schema is left in place: dropping it would lose queued checks."""

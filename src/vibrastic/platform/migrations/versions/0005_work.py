"""Classroom learners' saved code and give-ups, per course and challenge.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

STAMP = sa.String(40)


def upgrade() -> None:
    op.create_table(
        "class_work",
        sa.Column("course_id", sa.Integer, sa.ForeignKey("courses.id"), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("challenge", sa.String(100), primary_key=True),
        sa.Column("source", sa.Text, nullable=True),
        sa.Column("source_sha256", sa.String(64), nullable=True),
        sa.Column("saved_at", STAMP, nullable=True),
        sa.Column("started_at", STAMP, nullable=False),
        sa.Column("gave_up_at", STAMP, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("class_work")

"""The Q&A board: threads, posts, revisions, follows, notifications, full-text search.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

STAMP = sa.String(40)


def upgrade() -> None:
    op.create_table(
        "qa_threads",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("course_id", sa.Integer, sa.ForeignKey("courses.id"), nullable=False,
                  index=True),
        sa.Column("target_kind", sa.String(16), nullable=False),
        sa.Column("target", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("anonymous", sa.Boolean, nullable=False),
        sa.Column("private", sa.Boolean, nullable=False),
        sa.Column("pinned", sa.Boolean, nullable=False),
        sa.Column("hidden", sa.Boolean, nullable=False),
        sa.Column("resolved_at", STAMP, nullable=True),
        sa.Column("merged_into", sa.Integer, sa.ForeignKey("qa_threads.id"), nullable=True),
        sa.Column("attached_code", sa.Text, nullable=True),
        sa.Column("attached_verdict", sa.Text, nullable=True),
        sa.Column("attachment_shared", sa.Boolean, nullable=False),
        sa.Column("search_text", sa.Text, nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("activity_at", STAMP, nullable=False),
    )
    op.create_index("qa_threads_target", "qa_threads", ["course_id", "target_kind", "target"])
    op.create_table(
        "qa_posts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("thread_id", sa.Integer, sa.ForeignKey("qa_threads.id"), nullable=False,
                  index=True),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("qa_posts.id"), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("anonymous", sa.Boolean, nullable=False),
        sa.Column("staff_answer", sa.Boolean, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("endorsed_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("hidden", sa.Boolean, nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("edited_at", STAMP, nullable=True),
        sa.Column("deleted_at", STAMP, nullable=True),
    )
    op.create_table(
        "qa_post_revisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("post_id", sa.Integer, sa.ForeignKey("qa_posts.id"), nullable=False,
                  index=True),
        sa.Column("title", sa.String(200), nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("edited_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("edited_at", STAMP, nullable=False),
    )
    op.create_table(
        "qa_follows",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("thread_id", sa.Integer, sa.ForeignKey("qa_threads.id"), primary_key=True),
    )
    op.create_table(
        "qa_notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("thread_id", sa.Integer, sa.ForeignKey("qa_threads.id"), nullable=False),
        sa.Column("post_id", sa.Integer, sa.ForeignKey("qa_posts.id"), nullable=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("read_at", STAMP, nullable=True),
        sa.Column("emailed_at", STAMP, nullable=True),
    )
    if op.get_bind().dialect.name == "sqlite":
        # An FTS5 index over each thread's search text (rowid = thread id).
        op.execute("CREATE VIRTUAL TABLE qa_search USING fts5(search_text, "
                   "tokenize='porter unicode61')")
    else:
        op.execute("CREATE INDEX qa_threads_search ON qa_threads USING gin "
                   "(to_tsvector('english', search_text))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE qa_search")
    for table in ("qa_notifications", "qa_follows", "qa_post_revisions", "qa_posts",
                  "qa_threads"):
        op.drop_table(table)

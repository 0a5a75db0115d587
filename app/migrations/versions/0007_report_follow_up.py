"""report follow-up marker: which reports had their corroboration and staff alerts done

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27

The follow-up job of a report (duplicate suggestions, credibility, staff alerts) lives only in Redis
until it runs; a Redis that loses its data would lose it, and with it the JOC's alert. The job now
marks the report when done, so the sweep can queue it again for any report left unmarked. Existing
reports are marked: they were followed up, or were loaded before this existed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

WAITING = "followed_up_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("followed_up_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE reports SET followed_up_at = created_at")
    op.create_index(
        "ix_reports_waiting_for_follow_up",
        "reports",
        ["created_at"],
        postgresql_where=sa.text(WAITING),
        sqlite_where=sa.text(WAITING),
    )
    op.create_index(
        "ix_staff_notifications_pending",
        "staff_notifications",
        ["created_at"],
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_staff_notifications_pending", table_name="staff_notifications")
    op.drop_index("ix_reports_waiting_for_follow_up", table_name="reports")
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("followed_up_at")

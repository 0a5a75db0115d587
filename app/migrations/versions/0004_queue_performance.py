"""queue performance: partial queue indexes the review queue's query can use; open incidents by report time

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

The 0003 indexes were never chosen: their predicate says ``NOT training`` while every query says
``training IS false`` (SQLAlchemy's ``is_(False)``), and PostgreSQL does not prove one from the
other, so with a million incidents the first queue page sorted all open incidents (about 300 ms).
The predicate now leaves ``training`` out (a filter on the few training rows instead), so it holds
however the query spells it; ``queue``, always an equality in the queue query, leads the key so
the election-process queue is served too. ``ix_incidents_queue_reported`` serves the "since"
filters: the recent open incidents of one area without walking the whole backlog.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OPEN = "status IN ('received', 'under_review', 'unverified', 'verified', 'response_dispatched')"
QUEUE_PREDICATE = f"merged_into_id IS NULL AND {OPEN}"
OLD_PREDICATE = f"merged_into_id IS NULL AND NOT training AND {OPEN}"
INDEXES = {
    "ix_incidents_queue": ["queue", "priority", "deadline_at", "id"],
    "ix_incidents_country_queue": ["country", "queue", "priority", "deadline_at", "id"],
    "ix_incidents_queue_reported": ["queue", "first_reported_at"],
}
OLD_INDEXES = {
    "ix_incidents_queue": ["priority", "deadline_at", "id"],
    "ix_incidents_country_queue": ["country", "priority", "deadline_at", "id"],
}


def _create(indexes: dict[str, list[str]], predicate: str) -> None:
    for name, columns in indexes.items():
        op.create_index(
            name, "incidents", columns, postgresql_where=text(predicate), sqlite_where=text(predicate)
        )


def upgrade() -> None:
    for name in OLD_INDEXES:
        op.drop_index(name, table_name="incidents")
    _create(INDEXES, QUEUE_PREDICATE)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="incidents")
    _create(OLD_INDEXES, OLD_PREDICATE)

"""USSD session ends per phone: keyed by the session id with her key, as another phone may reuse the id

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29

Existing rows keep the key they were stored with; those whose notice named no phone get "", the key
such notices are stored under from now on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

sessions = sa.table(
    "ussd_sessions", sa.column("session_id", sa.String()), sa.column("reporter_key", sa.String())
)


def upgrade() -> None:
    op.execute(sessions.update().where(sessions.c.reporter_key.is_(None)).values(reporter_key=""))
    with op.batch_alter_table("ussd_sessions") as batch:
        batch.drop_constraint("pk_ussd_sessions", type_="primary")
        batch.alter_column("reporter_key", existing_type=sa.String(length=64), nullable=False)
        batch.create_primary_key("pk_ussd_sessions", ["session_id", "reporter_key"])


def downgrade() -> None:
    """Back to one row per session id: the one with the smallest key (the phone-less one first)."""
    other = sessions.alias("other")
    smaller = sa.exists().where(
        other.c.session_id == sessions.c.session_id, other.c.reporter_key < sessions.c.reporter_key
    )
    op.execute(sessions.delete().where(smaller))
    with op.batch_alter_table("ussd_sessions") as batch:
        batch.drop_constraint("pk_ussd_sessions", type_="primary")
        batch.alter_column("reporter_key", existing_type=sa.String(length=64), nullable=True)
        batch.create_primary_key("pk_ussd_sessions", ["session_id"])
    op.execute(sessions.update().where(sessions.c.reporter_key == "").values(reporter_key=None))

"""Staff reminder digests: one per responder and interval listing incidents still overdue

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

An incident now escalates once per priority level up to P1; what stays overdue after that is
reminded in these digests instead of a fresh alert per incident every sweep.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "staff_digests",
        sa.Column("id", ID, nullable=False),
        sa.Column("responder", sa.String(length=64), nullable=False),
        sa.Column("window_start", WHEN, nullable=False),
        sa.Column(
            "incident_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("delivery_id", sa.String(length=200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("sent_at", WHEN, nullable=True),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name=op.f("ck_staff_digests_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_digests")),
        sa.UniqueConstraint(
            "responder", "window_start", name=op.f("uq_staff_digests_responder_window_start")
        ),
    )


def downgrade() -> None:
    op.drop_table("staff_digests")

"""dashboard: user language, countries and second factor; assignment and action on incidents; queue indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
QUEUE_PREDICATE = (
    "merged_into_id IS NULL AND NOT training AND status IN "
    "('received', 'under_review', 'unverified', 'verified', 'response_dispatched')"
)
QUEUE_INDEXES = {
    "ix_incidents_queue": ["priority", "deadline_at", "id"],
    "ix_incidents_country_queue": ["country", "priority", "deadline_at", "id"],
}


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), server_default="en", nullable=False))
        batch_op.add_column(sa.Column("countries", JSON, nullable=True))
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
    op.execute("UPDATE users SET countries = '[]'")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("countries", existing_type=JSON, nullable=False)

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assigned_to_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")))
        batch_op.add_column(sa.Column("responder", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("action_ref", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_incidents_assigned_to_id_users"),
            "users",
            ["assigned_to_id"],
            ["id"],
            ondelete="SET NULL",
        )
    for name, columns in QUEUE_INDEXES.items():
        op.create_index(
            name,
            "incidents",
            columns,
            postgresql_where=sa.text(QUEUE_PREDICATE),
            sqlite_where=sa.text(QUEUE_PREDICATE),
        )


def downgrade() -> None:
    for name in QUEUE_INDEXES:
        op.drop_index(name, table_name="incidents")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_incidents_assigned_to_id_users"), type_="foreignkey")
        for column in ("action_ref", "responder", "assigned_to_id"):
            batch_op.drop_column(column)
    with op.batch_alter_table("users", schema=None) as batch_op:
        for column in ("totp_secret", "countries", "language"):
            batch_op.drop_column(column)

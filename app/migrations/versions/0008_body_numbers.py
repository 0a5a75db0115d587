"""body numbers: phone numbers written in messages, sealed in the vault, a placeholder in their place

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

A number she types ("call me on 0912 345 678") stayed in ``inbound_messages`` and ``reports.text``
for reviewers to read, and outlived her panic word. Intake now replaces it with ``[number n]`` and
seals it here, where the panic word and retention reach it like the contact vault. Messages stored
before this keep their words: running them through the matcher here would need the vault key.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "body_numbers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("inbound_message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reporter_key", sa.String(length=64), nullable=True),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["inbound_message_id"],
            ["inbound_messages.id"],
            name=op.f("fk_body_numbers_inbound_message_id_inbound_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_key"],
            ["reporters.key"],
            name=op.f("fk_body_numbers_reporter_key_reporters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_body_numbers")),
        sa.UniqueConstraint(
            "inbound_message_id", "position", name=op.f("uq_body_numbers_inbound_message_id_position")
        ),
    )
    op.create_index(op.f("ix_body_numbers_reporter_key"), "body_numbers", ["reporter_key"])


def downgrade() -> None:
    op.drop_index(op.f("ix_body_numbers_reporter_key"), table_name="body_numbers")
    op.drop_table("body_numbers")

"""sign-in hardening: sessions that can be ended, spent TOTP codes, API tokens that expire or are revoked

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28

``users.session_version`` is copied into each session cookie; raising it ends her sessions.
``users.totp_last_step`` refuses a code already used. ``api_tokens.expires_at`` and ``revoked_at``:
tokens issued before this get 90 days from the upgrade (time to issue new ones, rather than breaking
every integration at once), and those of switched-off users are revoked, so that switching her back on
does not bring them back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

EXISTING_TOKENS_DAYS = 90


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    now = datetime.now(UTC)
    tokens = sa.table(
        "api_tokens",
        sa.column("user_id", sa.BigInteger()),
        sa.column("expires_at", sa.DateTime(timezone=True)),
        sa.column("revoked_at", sa.DateTime(timezone=True)),
    )
    users = sa.table("users", sa.column("id", sa.BigInteger()), sa.column("active", sa.Boolean()))
    op.execute(tokens.update().values(expires_at=now + timedelta(days=EXISTING_TOKENS_DAYS)))
    switched_off = sa.select(users.c.id).where(users.c.active == sa.false())
    op.execute(tokens.update().where(tokens.c.user_id.in_(switched_off)).values(revoked_at=now))
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("revoked_at")
        batch.drop_column("expires_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
        batch.drop_column("totp_last_step")

"""audit checkpoints: archived audit events may leave the table, nothing else may

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

``audit_checkpoints`` records each archive of the audit trail (alerts/audit/archive.py): the last
archived event, its hash (where the live chain now starts), how many events, the file and its
SHA-256. It is append-only like the trail itself. The trail's DELETE refusal becomes conditional:
an event may be deleted only once a checkpoint covers it (id ≤ the newest ``through_event_id``), so
a deletion the archive does not vouch for is still refused by the database. UPDATE stays refused.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ARCHIVED = "(SELECT COALESCE(MAX(through_event_id), 0) FROM audit_checkpoints)"
"""The newest checkpoint's last event: events up to it are in an archive file."""


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("through_event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("through_hash", sa.String(length=64), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("archive_file", sa.String(length=255), nullable=False),
        sa.Column("archive_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
        sa.UniqueConstraint("through_event_id", name=op.f("uq_audit_checkpoints_through_event_id")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION dalili_refuse_unarchived_delete() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF OLD.id > {ARCHIVED} THEN
                    RAISE EXCEPTION '% is read-only: % refused, event % is not archived',
                        TG_TABLE_NAME, TG_OP, OLD.id;
                END IF;
                RETURN OLD;
            END $$
            """
        )
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
        op.execute(
            "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION dalili_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER audit_events_archived_only BEFORE DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION dalili_refuse_unarchived_delete()"
        )
        op.execute(
            "CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints "
            "FOR EACH ROW EXECUTE FUNCTION dalili_refuse_change()"
        )
        return
    op.execute("DROP TRIGGER audit_events_no_delete")
    op.execute(
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        f"WHEN OLD.id > {ARCHIVED} "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is read-only: event not archived'); END"
    )
    for verb in ("update", "delete"):
        op.execute(
            f"CREATE TRIGGER audit_checkpoints_no_{verb} BEFORE {verb.upper()} ON audit_checkpoints "
            "BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is read-only'); END"
        )


def downgrade() -> None:
    """Back to the unconditional refusal, only while nothing was archived: dropping the checkpoints
    would leave the live chain starting from nowhere and the archive files unverifiable."""
    if op.get_bind().scalar(sa.text("SELECT COUNT(*) FROM audit_checkpoints")):
        raise RuntimeError("the audit trail has been archived: its checkpoints cannot be dropped")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_archived_only ON audit_events")
        op.execute("DROP TRIGGER audit_events_no_update ON audit_events")
        op.execute("DROP FUNCTION dalili_refuse_unarchived_delete()")
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION dalili_refuse_change()"
        )
    else:
        op.execute("DROP TRIGGER audit_events_no_delete")
        op.execute(
            "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
            "BEGIN SELECT RAISE(ABORT, 'audit_events is read-only'); END"
        )
    op.drop_table("audit_checkpoints")

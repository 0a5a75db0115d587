"""triage: duplicate suggestions, reversible merges, escalation, staff notifications

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WHEN = sa.DateTime(timezone=True)

VERIFIED_VIEW = """
CREATE VIEW verified_incidents AS
SELECT id, category, status, priority, credibility, country, place_name, precision,
       areas::text AS areas, first_reported_at, updated_at, geom
FROM incidents
WHERE status IN ('verified', 'response_dispatched', 'closed')
  AND NOT restricted AND NOT training {merged}
"""


def _incident_fk(column: str, table: str, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["incidents.id"], name=op.f(f"fk_{table}_{column}_incidents"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "duplicate_suggestions",
        sa.Column("id", ID, nullable=False),
        sa.Column("incident_id", ID, nullable=False),
        sa.Column("candidate_id", ID, nullable=False),
        sa.Column("distance_km", sa.Float(), nullable=True),
        sa.Column("hours_apart", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", WHEN, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'merged', 'dismissed')", name=op.f("ck_duplicate_suggestions_status")
        ),
        _incident_fk("candidate_id", "duplicate_suggestions", "CASCADE"),
        _incident_fk("incident_id", "duplicate_suggestions", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_suggestions")),
        sa.UniqueConstraint(
            "incident_id", "candidate_id", name=op.f("uq_duplicate_suggestions_incident_id_candidate_id")
        ),
    )
    op.create_index(op.f("ix_duplicate_suggestions_candidate_id"), "duplicate_suggestions", ["candidate_id"])
    op.create_index(op.f("ix_duplicate_suggestions_incident_id"), "duplicate_suggestions", ["incident_id"])

    op.create_table(
        "incident_merges",
        sa.Column("id", ID, nullable=False),
        sa.Column("source_id", ID, nullable=False),
        sa.Column("target_id", ID, nullable=False),
        sa.Column("report_ids", JSON, nullable=False),
        sa.Column("target_before", JSON, nullable=False),
        sa.Column("merged_by", sa.String(length=64), nullable=False),
        sa.Column("merged_at", WHEN, nullable=False),
        sa.Column("undone_by", sa.String(length=64), nullable=True),
        sa.Column("undone_at", WHEN, nullable=True),
        _incident_fk("source_id", "incident_merges"),
        _incident_fk("target_id", "incident_merges"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_merges")),
    )
    op.create_index(op.f("ix_incident_merges_source_id"), "incident_merges", ["source_id"])
    op.create_index(op.f("ix_incident_merges_target_id"), "incident_merges", ["target_id"])

    op.create_table(
        "staff_notifications",
        sa.Column("id", ID, nullable=False),
        sa.Column("incident_id", ID, nullable=False),
        sa.Column("event", sa.String(length=24), nullable=False),
        sa.Column("responder", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("delivery_id", sa.String(length=200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("sent_at", WHEN, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name=op.f("ck_staff_notifications_status")
        ),
        _incident_fk("incident_id", "staff_notifications", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_notifications")),
        sa.UniqueConstraint(
            "incident_id",
            "event",
            "responder",
            name=op.f("uq_staff_notifications_incident_id_event_responder"),
        ),
    )
    op.create_index(op.f("ix_staff_notifications_incident_id"), "staff_notifications", ["incident_id"])

    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("DROP VIEW verified_incidents")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("in_town", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("queue", sa.String(length=24), server_default="triage", nullable=False))
        batch_op.add_column(sa.Column("external_check", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("escalation_level", sa.SmallInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("merged_into_id", ID, nullable=True))
        batch_op.create_index(batch_op.f("ix_incidents_merged_into_id"), ["merged_into_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_incidents_merged_into_id_incidents"), "incidents", ["merged_into_id"], ["id"]
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_incidents_queue"), "queue IN ('triage', 'election_process')"
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_incidents_external_check"),
            "external_check IS NULL OR external_check IN ('confirmed', 'contradicted')",
        )
    if postgres:  # an incident merged into another is not one of its own (R26)
        op.execute(VERIFIED_VIEW.format(merged="AND merged_into_id IS NULL"))
        _view_read_only()

    with op.batch_alter_table("reporters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_key", sa.String(length=64), nullable=True))

    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin_incident_id", ID, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_reports_origin_incident_id_incidents"), "incidents", ["origin_incident_id"], ["id"]
        )
    op.execute("UPDATE reports SET origin_incident_id = incident_id")


def _view_read_only() -> None:
    op.execute(
        "CREATE TRIGGER verified_incidents_read_only INSTEAD OF INSERT OR UPDATE OR DELETE "
        "ON verified_incidents FOR EACH ROW EXECUTE FUNCTION dalili_refuse_change()"
    )


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_reports_origin_incident_id_incidents"), type_="foreignkey")
        batch_op.drop_column("origin_incident_id")

    with op.batch_alter_table("reporters", schema=None) as batch_op:
        batch_op.drop_column("group_key")

    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("DROP VIEW verified_incidents")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_incidents_external_check"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_incidents_queue"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_incidents_merged_into_id_incidents"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_incidents_merged_into_id"))
        for column in ("merged_into_id", "escalation_level", "external_check", "queue", "in_town"):
            batch_op.drop_column(column)
    if postgres:
        op.execute(VERIFIED_VIEW.format(merged=""))
        _view_read_only()

    op.drop_table("staff_notifications")
    op.drop_table("incident_merges")
    op.drop_table("duplicate_suggestions")

"""Reviewer corrections, labelled examples, place aliases, narrative reads

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

A reviewer now corrects an incident's category, flags, priority, time and place (#16). Each
correction is kept by field with its before and after values; a corrected report becomes a
labelled example for the classifier, a corrected place a proposed alias an admin approves. Who
first read an incident's narratives is kept so that restricting it later names them. Incident
history reads the audit trail by subject, and the audit page its latest check by action:
both now indexed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "corrections",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column(
            "before",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "after",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("undoes_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "field IN ('category', 'flags', 'priority', 'occurred_at', 'place', 'restriction')",
            name=op.f("ck_corrections_field"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_corrections_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["undoes_id"], ["corrections.id"], name=op.f("fk_corrections_undoes_id_corrections")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrections")),
    )
    op.create_index(op.f("ix_corrections_at"), "corrections", ["at"], unique=False)
    op.create_index(op.f("ix_corrections_incident_id"), "corrections", ["incident_id"], unique=False)
    op.create_table(
        "narrative_reads",
        sa.Column("incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reader", sa.String(length=254), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_narrative_reads_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "reader", name=op.f("pk_narrative_reads")),
    )
    op.create_table(
        "place_aliases",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("typed", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), server_default="", nullable=False),
        sa.Column("place_name", sa.String(length=200), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("precision", sa.SmallInteger(), nullable=False),
        sa.Column(
            "areas",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("proposed_by", sa.String(length=254), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=254), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('proposed', 'approved', 'rejected')", name=op.f("ck_place_aliases_status")
        ),
        sa.CheckConstraint("precision BETWEEN 1 AND 3", name=op.f("ck_place_aliases_precision")),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_place_aliases_incident_id_incidents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_aliases")),
    )
    op.create_index(
        "uq_place_aliases_approved",
        "place_aliases",
        ["country", "text"],
        unique=True,
        postgresql_where=sa.text("status = 'approved'"),
        sqlite_where=sa.text("status = 'approved'"),
    )
    op.create_table(
        "labelled_examples",
        sa.Column("report_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("triage_category", sa.String(length=3), nullable=False),
        sa.Column("category", sa.String(length=3), nullable=False),
        sa.Column(
            "flags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("labelled_by", sa.String(length=254), nullable=False),
        sa.Column("labelled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("training", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_labelled_examples_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_labelled_examples")),
    )
    op.create_index(
        op.f("ix_audit_events_subject_type_subject_id"),
        "audit_events",
        ["subject_type", "subject_id"],
        unique=False,
    )
    op.create_index(op.f("ix_audit_events_action_id"), "audit_events", ["action", "id"], unique=False)
    op.add_column("incidents", sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("incidents", "occurred_at")
    op.drop_index(op.f("ix_audit_events_action_id"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_subject_type_subject_id"), table_name="audit_events")
    op.drop_table("labelled_examples")
    op.drop_index(
        "uq_place_aliases_approved",
        table_name="place_aliases",
        postgresql_where=sa.text("status = 'approved'"),
        sqlite_where=sa.text("status = 'approved'"),
    )
    op.drop_table("place_aliases")
    op.drop_table("narrative_reads")
    op.drop_index(op.f("ix_corrections_incident_id"), table_name="corrections")
    op.drop_index(op.f("ix_corrections_at"), table_name="corrections")
    op.drop_table("corrections")

"""hotspot cells: each incident's H3 cells at resolutions 5, 6 and 7; verified incidents by report time

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27

Hotspot maps aggregate verified incidents to H3 hexagons with a GROUP BY in the database (R42), so
each incident keeps its cells from the moment it is geocoded; coarser resolutions roll up from
resolution 5. Existing incidents with coordinates get theirs here. ``ix_incidents_verified_reported``
serves the period filter of every hotspot product.
"""

from __future__ import annotations

import h3
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

RESOLUTIONS = (5, 6, 7)
VERIFIED = "merged_into_id IS NULL AND status IN ('verified', 'response_dispatched', 'closed')"
BATCH = 5000


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        for resolution in RESOLUTIONS:
            batch.add_column(sa.Column(f"h3_r{resolution}", sa.String(16), nullable=True))
    op.create_index(
        "ix_incidents_verified_reported",
        "incidents",
        ["first_reported_at"],
        postgresql_where=sa.text(VERIFIED),
        sqlite_where=sa.text(VERIFIED),
    )
    _backfill()


def _backfill() -> None:
    connection = op.get_bind()
    incidents = sa.table(
        "incidents",
        sa.column("id", sa.BigInteger),
        sa.column("lon", sa.Float),
        sa.column("lat", sa.Float),
        *(sa.column(f"h3_r{r}", sa.String) for r in RESOLUTIONS),
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(incidents.c.id, incidents.c.lon, incidents.c.lat)
            .where(incidents.c.id > last, incidents.c.lon.is_not(None), incidents.c.lat.is_not(None))
            .order_by(incidents.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            incidents.update().where(incidents.c.id == sa.bindparam("incident_id")),
            [
                {"incident_id": id_, **{f"h3_r{r}": h3.latlng_to_cell(lat, lon, r) for r in RESOLUTIONS}}
                for id_, lon, lat in rows
            ],
        )
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_index("ix_incidents_verified_reported", table_name="incidents")
    with op.batch_alter_table("incidents") as batch:
        for resolution in RESOLUTIONS:
            batch.drop_column(f"h3_r{resolution}")

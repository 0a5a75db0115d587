"""Alembic environment: the connection comes from `app.migrate`, never from alembic.ini."""

from __future__ import annotations

from alembic import context

from alerts.models import Base

POSTGIS_ONLY_COLUMNS = {("incidents", "geom")}
"""Added by the migration on PostgreSQL only; the ORM never reads or writes them."""


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    if type_ == "table" and reflected and compare_to is None:
        return False  # tables the schema does not own, such as PostGIS's spatial_ref_sys
    table = getattr(getattr(obj, "table", None), "name", None)
    if type_ == "column" and (table, name) in POSTGIS_ONLY_COLUMNS:
        return False
    return not (type_ == "index" and name == "ix_incidents_geom")


connection = context.config.attributes["connection"]
context.configure(
    include_object=include_object,
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

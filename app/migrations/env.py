"""Alembic environment: the connection comes from `app.migrate`, never from alembic.ini."""

from __future__ import annotations

from alembic import context

from alerts.models import Base
from app.migrate import include_object

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

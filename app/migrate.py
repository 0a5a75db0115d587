"""Schema migrations through Alembic, on the app's own engine."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from alerts.models import Base

MIGRATIONS = Path(__file__).with_name("migrations")
POSTGIS_ONLY = {("incidents", "geom"), ("incidents", "ix_incidents_geom")}
"""Added by the migration on PostgreSQL only; the ORM never reads or writes them."""


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Tell autogenerate which database objects the models own."""
    if type_ == "table" and reflected and compare_to is None:
        return False  # tables the schema does not own, such as PostGIS's spatial_ref_sys
    table = getattr(getattr(obj, "table", None), "name", None)
    return (table, name) not in POSTGIS_ONLY


def schema_drift(engine: Engine) -> list[Any]:
    """Differences between the models and the migrated database; empty when they agree."""
    with engine.connect() as connection, warnings.catch_warnings():
        # Reflection does not know PostGIS types; those columns are excluded just below anyway.
        warnings.filterwarnings("ignore", "Did not recognize type 'geometry'")
        context = MigrationContext.configure(
            connection, opts={"include_object": include_object, "compare_type": True}
        )
        return list(compare_metadata(context, Base.metadata))


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def _run(engine: Engine, action: str, *args: str) -> None:
    config = _config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, *args)


def upgrade(engine: Engine, revision: str = "head") -> None:
    _run(engine, "upgrade", revision)


def downgrade(engine: Engine, revision: str) -> None:
    _run(engine, "downgrade", revision)


def revision(engine: Engine, message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    config = _config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(_config(engine)).get_current_head()

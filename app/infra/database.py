"""Engine and session factory for PostgreSQL or the embedded SQLite file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from alerts.audit import trail

CONNECT_TIMEOUT_SECONDS = 5


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web thread read while the embedded worker writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(database_url: str) -> Engine:
    """Create the engine; for a SQLite file, create its folder first."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    # A server that does not answer must fail the request in seconds (the webhook then spools).
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )


def make_session_factory(engine: Engine, *, audit_key: str) -> sessionmaker[Session]:
    """Sessions that carry the audit key: every audit event is keyed with it (alerts/audit/trail.py)."""
    return sessionmaker(bind=engine, expire_on_commit=False, info={trail.KEY: audit_key.encode()})

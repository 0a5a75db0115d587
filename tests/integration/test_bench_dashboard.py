"""The dashboard benchmark's loader stays valid as the schema evolves (bench/dashboard/load.py).

A small load into the test database: every row passes the schema's constraints, the schema is
exactly as migrated afterwards (the loader drops and recreates indexes and keys), and the review
queue pages the loaded incidents in order.
"""

from __future__ import annotations

from datetime import datetime

import psycopg
import pytest
from sqlalchemy import func, select

from alerts.incidents.review import QueueFilter, list_queue
from alerts.messages import Viewer
from alerts.models import Incident, Report, utcnow
from alerts.vocabulary import AWAITING_REVIEW, OPEN_STATES
from app import migrate
from app.bootstrap import Services
from bench.common import libpq
from bench.dashboard.load import load, vacuum_analyze
from tests.conftest import needs_postgres

pytestmark = [pytest.mark.integration, needs_postgres]

REVIEWER = Viewer(user_id=1, email="bench@example.org", role="triage_reviewer")
INCIDENTS = 2000


def _keys(items: list[dict[str, object]]) -> list[tuple[bool, str, datetime, int]]:
    """The queue's order: awaiting a decision before handled, then priority, deadline and id."""
    return [
        (
            i["status"] not in AWAITING_REVIEW,
            str(i["priority"]),
            datetime.fromisoformat(str(i["deadline_at"])),
            int(str(i["id"])),
        )
        for i in items
    ]


@pytest.mark.parametrize("backend_settings", ["postgres"], indirect=True)
def test_the_loaded_incidents_fill_a_queue_that_pages_in_order(services: Services) -> None:
    with psycopg.connect(libpq(services.settings.database_url), autocommit=True) as conn:
        loaded = load(conn, INCIDENTS, now=utcnow())
        vacuum_analyze(conn)
    assert (loaded.first_id, loaded.last_id) == (1, INCIDENTS)
    assert migrate.schema_drift(services.engine) == []
    with services.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Incident)) == INCIDENTS
        assert uow.session.scalar(select(func.count()).select_from(Report)) == INCIDENTS

    first = list_queue(REVIEWER, QueueFilter(), uow=services.uow(), limit=50)
    second = list_queue(REVIEWER, QueueFilter(), uow=services.uow(), limit=50, after=first.next_cursor)

    assert len(first.items) == len(second.items) == 50
    keys = _keys(first.items) + _keys(second.items)
    assert keys == sorted(keys)
    assert len(set(keys)) == 100
    assert {item["status"] for item in first.items + second.items} <= set(OPEN_STATES)
    assert all(int(str(item["reports"])) >= 1 for item in first.items)

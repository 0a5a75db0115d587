"""Named pieces of the queries alerts runs: which incidents and reports count, written once.

Each piece is a condition for ``select(...).where(...)``; SQLAlchemy expressions are immutable, so
one object serves every query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from alerts.models import Incident, Report
from alerts.vocabulary import VERIFIED_STATES

UNMERGED: ColumnElement[bool] = Incident.merged_into_id.is_(None)
"""Not absorbed by another incident: a merged one lives on in its target (decisions.md D11)."""
REAL_INCIDENTS: ColumnElement[bool] = Incident.training.is_(False)
"""Not made in a training session: training data stays out of queues, counts and feeds."""
REAL_REPORTS: ColumnElement[bool] = Report.training.is_(False)
VERIFIED: ColumnElement[bool] = Incident.status.in_(VERIFIED_STATES)
"""Verified, and any status a verified incident moves on to."""


def insert_for(session: Session) -> Callable[..., Any]:
    """The dialect's ``insert``, whose ``on_conflict_do_nothing`` makes an insert-or-ignore on both
    backends (a rerun or a concurrent writer inserts nothing)."""
    insert: Callable[..., Any] = (
        postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    ).insert
    return insert

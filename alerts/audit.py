"""Append-only, hash-chained audit trail (R30): each event commits to the one before it."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from alerts.models import AuditCheckpoint, AuditEvent, utcnow

GENESIS = "0" * 64


def _digest(prev_hash: str, at: datetime, actor: str, action: str, subject: str, details: Any) -> str:
    body = json.dumps(
        [prev_hash, at.isoformat(), actor, action, subject, details],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str | int,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        # Serialise writers so two transactions never chain onto the same predecessor.
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('dalili_audit_chain'))"))
    prev = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    prev_hash = prev or GENESIS
    at = utcnow()
    subject = f"{subject_type}:{subject_id}"
    details = details or {}
    event = AuditEvent(
        at=at,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        details=details,
        prev_hash=prev_hash,
        hash=_digest(prev_hash, at, actor, action, subject, details),
    )
    session.add(event)
    session.flush()
    return event


def follows(event: AuditEvent, prev_hash: str) -> bool:
    """True when ``event`` chains onto ``prev_hash`` and its hash covers its own fields."""
    subject = f"{event.subject_type}:{event.subject_id}"
    expected = _digest(prev_hash, event.at, event.actor, event.action, subject, event.details)
    return event.prev_hash == prev_hash and event.hash == expected


def live_start(session: Session) -> tuple[int, str]:
    """The last archived event's id and the hash the live chain starts from (0 and genesis before
    any archive, alerts/audit_archive.py)."""
    newest = session.execute(
        select(AuditCheckpoint.through_event_id, AuditCheckpoint.through_hash)
        .order_by(AuditCheckpoint.through_event_id.desc())
        .limit(1)
    ).first()
    return (newest.through_event_id, newest.through_hash) if newest else (0, GENESIS)


def verify_chain(session: Session) -> int | None:
    """Return the id of the first live event that breaks the chain, or None when it is intact.

    The live chain starts where the newest archive ends. Archived events a crashed run has not
    deleted yet are skipped: their archive vouches for them.
    """
    after, prev_hash = live_start(session)
    for event in session.scalars(select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id)):
        if not follows(event, prev_hash):
            return event.id
        prev_hash = event.hash
    return None

"""Append-only, hash-chained audit trail (R30): each event commits to the one before it."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from alerts.models import AuditEvent, utcnow

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


def verify_chain(session: Session) -> int | None:
    """Return the id of the first event that breaks the chain, or None when it is intact."""
    prev_hash = GENESIS
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        subject = f"{event.subject_type}:{event.subject_id}"
        expected = _digest(prev_hash, event.at, event.actor, event.action, subject, event.details)
        if event.prev_hash != prev_hash or event.hash != expected:
            return event.id
        prev_hash = event.hash
    return None

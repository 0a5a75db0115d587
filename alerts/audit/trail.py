"""Append-only, keyed hash chain (R30): each event commits to the one before it.

A hash is an HMAC-SHA-256 under the deployment's audit key, which lives outside the database
(``DALILI_AUDIT_KEY``): someone who can write the table can delete or rewrite rows, but cannot
recompute hashes that verify. Events recorded before the key existed carry a plain SHA-256; they are
accepted only up to the boundary an anchor records (alerts/audit/anchor.py, decision D17).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from alerts.models import AuditCheckpoint, AuditEvent, utcnow

GENESIS = "0" * 64
KEY = "dalili_audit_key"
"""Where a session's ``info`` holds the audit key (bytes): set by its session factory."""


def _digest(
    key: bytes | None, prev_hash: str, at: datetime, actor: str, action: str, subject: str, details: Any
) -> str:
    body = json.dumps(
        [prev_hash, at.isoformat(), actor, action, subject, details],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    if key is None:  # the unkeyed chain of a trail recorded before the key existed
        return hashlib.sha256(body).hexdigest()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _event_digest(key: bytes | None, event: AuditEvent, prev_hash: str) -> str:
    subject = f"{event.subject_type}:{event.subject_id}"
    return _digest(key, prev_hash, event.at, event.actor, event.action, subject, event.details)


@dataclass(frozen=True, slots=True)
class ChainKey:
    """How events are checked: the audit key, and the last event that may be unkeyed (0: none)."""

    key: bytes
    unkeyed_through: int = 0

    def follows(self, event: AuditEvent, prev_hash: str) -> bool:
        """True when ``event`` chains onto ``prev_hash`` and its hash covers its own fields."""
        if event.prev_hash != prev_hash:
            return False
        if hmac.compare_digest(event.hash, _event_digest(self.key, event, prev_hash)):
            return True
        return event.id <= self.unkeyed_through and is_unkeyed(event)


def is_unkeyed(event: AuditEvent) -> bool:
    """True when ``event``'s hash is the plain SHA-256 of a trail recorded before the key."""
    return event.hash == _event_digest(None, event, event.prev_hash)


def session_key(session: Session, *, unkeyed_through: int = 0) -> ChainKey:
    return ChainKey(session.info[KEY], unkeyed_through)


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
        hash=_digest(session.info[KEY], prev_hash, at, actor, action, subject, details),
    )
    session.add(event)
    session.flush()
    return event


def live_start(session: Session) -> tuple[int, str]:
    """The last archived event's id and the hash the live chain starts from (0 and genesis before
    any archive, alerts/audit/archive.py)."""
    newest = session.execute(
        select(AuditCheckpoint.through_event_id, AuditCheckpoint.through_hash)
        .order_by(AuditCheckpoint.through_event_id.desc())
        .limit(1)
    ).first()
    return (newest.through_event_id, newest.through_hash) if newest else (0, GENESIS)


def verify_chain(session: Session, *, unkeyed_through: int = 0) -> int | None:
    """Return the id of the first live event that breaks the chain, or None when it is intact.

    The live chain starts where the newest archive ends. Archived events a crashed run has not
    deleted yet are skipped: their archive vouches for them. An event past ``unkeyed_through``
    must be keyed: one rewritten without the key breaks the chain.
    """
    chain = session_key(session, unkeyed_through=unkeyed_through)
    after, prev_hash = live_start(session)
    for event in session.scalars(select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id)):
        if not chain.follows(event, prev_hash):
            return event.id
        prev_hash = event.hash
    return None


def unkeyed_prefix(session: Session) -> AuditEvent | None:
    """The last event of the live chain's unkeyed beginning (recorded before the key), if any."""
    after, prev_hash = live_start(session)
    last = None
    for event in session.scalars(select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id)):
        if event.prev_hash != prev_hash or not is_unkeyed(event):
            break
        last, prev_hash = event, event.hash
    return last

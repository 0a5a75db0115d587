"""Commands the alerts core accepts and the read models it returns (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordInbound:
    """Store what a provider delivered, before anyone acknowledges it."""

    provider: str
    channel: str
    provider_message_id: str
    received_at: datetime
    reporter_key: str | None
    content: dict[str, Any]
    payload: dict[str, Any]
    status: str = "received"
    """``review`` for a message kept for a human because it could not be read on its own."""
    error: str | None = None
    training: bool = False


@dataclass(frozen=True, slots=True)
class InboundReceipt:
    inbound_id: int
    created: bool
    """False when the provider had already delivered this message (a retry or replay)."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """The authenticated user on whose behalf a read or action runs."""

    user_id: int
    email: str
    role: str
    network_ids: frozenset[int] = field(default_factory=frozenset)
    """Networks she coordinates (scopes the network_coordinator role)."""
    countries: frozenset[str] = field(default_factory=frozenset)
    """Countries of the missions she works on; empty: all of the deployment's."""
    language: str = "en"
    session_version: int = 0
    """Her sign-in generation: a dashboard session holding an older one has been ended."""

"""Provider-neutral data the channel adapters hand to the alerts core."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedInbound:
    """One inbound message as the alerts core needs it; no raw number anywhere in it."""

    provider: str
    channel: str
    provider_message_id: str
    reporter_key: str | None
    """None only for a salvaged message that named no sender."""
    content: dict[str, Any]
    payload: dict[str, Any] = field(default_factory=dict)
    """The provider's fields with every copy of the sender's address replaced by the key."""


class Headers(Protocol):
    """Case-insensitive request headers (Werkzeug's, or a dict in tests)."""

    def get(self, key: str, default: str) -> str: ...

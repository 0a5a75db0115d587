"""Provider-neutral data the channel adapters hand to the alerts core."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from alerts.vocabulary import DELIVERY_RANK as DELIVERY_RANK
from alerts.vocabulary import DELIVERY_STATUSES as DELIVERY_STATUSES


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


def missed_call_message(provider: str, call_id: str, reporter_key: str) -> ParsedInbound:
    """A "beep" asks for a call back: stored like a message (the worker decides if she is a monitor)."""
    return ParsedInbound(
        provider=provider,
        channel="voice",
        provider_message_id=call_id,
        reporter_key=reporter_key,
        content={"missed_call": True},
    )


class Headers(Protocol):
    """Case-insensitive request headers (Werkzeug's, or a dict in tests)."""

    def get(self, key: str, default: str) -> str: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusUpdate:
    """A provider's delivery report for a message Dalili sent."""

    provider: str
    provider_message_id: str
    status: str
    """One of DELIVERY_STATUSES."""
    error_code: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    """The provider's fields, any recipient number replaced by the reporter key or removed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboundMessage:
    """One message to one reporter. ``to`` is her raw address: held in memory only, never stored."""

    to: str
    text: str
    channel: str = "sms"
    """``sms`` or ``whatsapp``."""
    template_sid: str | None = None
    """WhatsApp Content Template to use instead of ``text`` outside the 24-hour window."""
    template_variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SendResult:
    provider_message_id: str
    status: str
    """One of DELIVERY_STATUSES."""


class Sender(Protocol):
    """Sends one message through a provider; raises ChannelError (with ``retryable``) on failure."""

    provider: str

    def send(self, message: OutboundMessage) -> SendResult: ...

"""Twilio message status callbacks: parsing and the out-of-order rule (CHANNELS.md §4)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from channels.base import StatusUpdate
from channels.forms import optional, required
from channels.twilio.inbound import MAX_MESSAGE_ID, PROVIDER

logger = logging.getLogger(__name__)

# see https://www.twilio.com/docs/messaging/guides/outbound-message-status-in-status-callbacks
STATUS_MAPPING: dict[str, str | None] = {
    "accepted": "accepted",
    "scheduled": "accepted",
    "queued": "queued",
    "sending": "sending",
    "sent": "sent",
    "partially_delivered": "sent",
    "failed": "failed",
    "undelivered": "failed",
    "delivered": "delivered",
    "read": "read",
    "canceled": "canceled",
    "receiving": None,
    "received": None,
}
"""Twilio ``MessageStatus`` to Dalili's DELIVERY_STATUSES; None marks an inbound message's status."""

RECIPIENT_FIELDS = (
    "To",
    "ChannelToAddress",
    "WaId",
    "ExternalUserId",
    "ParentExternalUserId",
    "ProfileName",
    "ProfileUsername",
)
"""Fields that identify the recipient of an outbound message: dropped before storage (R27)."""

"""Statuses after which no callback is applied (CHANNELS.md §4)."""

OPT_OUT_CODES = frozenset({"21610"})
"""Twilio error codes meaning she replied STOP: mark her opted out and never retry."""


def parse_status(form: Mapping[str, str]) -> StatusUpdate | None:
    """Read a status callback; None when the status is not one Dalili tracks."""
    message_id = required(form, "MessageSid", strip=True, max_length=MAX_MESSAGE_ID)
    raw_status = required(form, "MessageStatus", strip=True)
    status = STATUS_MAPPING.get(raw_status)
    if status is None:
        # Twilio adds statuses over time: answer 200 and keep going rather than make it retry.
        if raw_status not in STATUS_MAPPING:
            logger.warning("unknown Twilio MessageStatus %r for %s", raw_status[:40], message_id)
        return None
    return StatusUpdate(
        provider=PROVIDER,
        provider_message_id=message_id,
        status=status,
        error_code=optional(form, "ErrorCode", strip=True) or None,
        payload={name: form[name] for name in form if name not in RECIPIENT_FIELDS},
    )


def is_opt_out(update: StatusUpdate) -> bool:
    """Whether the provider refused the message because she unsubscribed (replied STOP)."""
    return update.error_code in OPT_OUT_CODES

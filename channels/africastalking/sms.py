"""Inbound Africa's Talking SMS and delivery reports (CHANNELS.md §7, §8)."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from channels.base import ParsedInbound, StatusUpdate
from channels.errors import PayloadInvalid
from channels.forms import optional, required
from channels.phone import canonical_address, pseudonymise

logger = logging.getLogger(__name__)

PROVIDER = "africastalking"
MAX_MESSAGE_ID = 128
DATE_FORMATS = ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S")
"""Both forms AT sends; the second has no zone and is read as UTC (CHANNELS.md §7)."""

REPLYABLE = re.compile(r"\+\d{4,}")
"""What the SDK accepts as a recipient: a short code or sender name (``MTN``) cannot be answered."""

# see https://docs.africastalking.com/sms/deliveryreports
STATUS_MAPPING: dict[str, str] = {
    "Sent": "sent",
    "Submitted": "sent",
    "Buffered": "sent",
    "Success": "delivered",
    "Rejected": "failed",
    "Failed": "failed",
    "Expired": "failed",
}
"""AT delivery-report ``status`` to Dalili's DELIVERY_STATUSES; ``Success`` means on her handset."""

OPT_OUT_REASONS = frozenset({"UserInBlackList"})
"""``failureReason`` values meaning she opted out: suppress further sends (CHANNELS.md §8)."""


def parse_at_date(value: str) -> datetime | None:
    """Read an AT ``date`` in either documented form; None for anything else (no lenient ISO parse)."""
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=UTC)
        except ValueError:
            pass
    return None


def _without_sender(form: Mapping[str, str], key: str | None) -> dict[str, Any]:
    payload: dict[str, Any] = {name: form[name] for name in form if name != "from"}
    return payload | ({"from": key} if key else {})


# see https://docs.africastalking.com/sms/callback
def parse_message(form: Mapping[str, str], *, pepper: str, default_region: str) -> ParsedInbound:
    """Read an incoming-message callback; the sender's number leaves only as her key."""
    message_id = required(form, "id", strip=True, max_length=MAX_MESSAGE_ID)
    sender = required(form, "from", strip=False)
    content: dict[str, Any] = {"text": required(form, "text", strip=False)}
    if raw_date := optional(form, "date", strip=True):
        sent_at = parse_at_date(raw_date)
        if sent_at is None:
            raise PayloadInvalid("field 'date' is neither 'YYYY-MM-DDTHH:MM:SSZ' nor 'YYYY-MM-DD HH:MM:SS'")
        content["sent_at"] = sent_at.isoformat()
    if not REPLYABLE.fullmatch(canonical_address(sender, default_region)):
        content["replyable"] = False
    key = pseudonymise(sender, pepper=pepper, default_region=default_region)
    return ParsedInbound(
        provider=PROVIDER,
        channel="sms",
        provider_message_id=message_id,
        reporter_key=key,
        content=content,
        payload=_without_sender(form, key),
    )


def salvage_message(
    form: Mapping[str, str], reason: str, *, pepper: str, default_region: str
) -> ParsedInbound:
    """Keep a malformed incoming-message callback for review: nothing a woman sent is dropped."""
    sender = form.get("from", "")
    key = pseudonymise(sender, pepper=pepper, default_region=default_region) if sender.strip() else None
    digest = hashlib.sha256(json.dumps(sorted(_without_sender(form, None).items())).encode()).hexdigest()
    return ParsedInbound(
        provider=PROVIDER,
        channel="sms",
        provider_message_id="invalid-" + digest[:40],
        reporter_key=key,
        content={"text": form.get("text", ""), "error": reason},
        payload=_without_sender(form, key),
    )


def parse_delivery_report(form: Mapping[str, str]) -> StatusUpdate | None:
    """Read a delivery report; None when its status is missing or unknown (log it, answer 200)."""
    message_id = required(form, "id", strip=True, max_length=MAX_MESSAGE_ID)
    raw_status = optional(form, "status", strip=True)
    status = STATUS_MAPPING.get(raw_status)
    if status is None:
        # Courier answers 400 here; AT may retry a refusal, and a retry cannot fix the status.
        logger.warning(
            "Africa's Talking delivery report %s without a known status: %r", message_id, raw_status[:40]
        )
        return None
    return StatusUpdate(
        provider=PROVIDER,
        provider_message_id=message_id,
        status=status,
        error_code=optional(form, "failureReason", strip=True) or None,
        payload={name: form[name] for name in form if name != "phoneNumber"},
    )


def is_opt_out(update: StatusUpdate) -> bool:
    """Whether the telco refused the message because she opted out of messages from this sender."""
    return update.error_code in OPT_OUT_REASONS

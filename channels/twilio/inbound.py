"""Inbound Twilio messaging webhooks: signature check and parsing (CHANNELS.md §1, §2, §6)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)
from twilio.twiml.messaging_response import MessagingResponse

from channels.base import Headers, ParsedInbound
from channels.errors import ChannelConfigError, PayloadInvalid, SignatureInvalid
from channels.forms import optional, required, whole_number
from channels.phone import WHATSAPP_PREFIX, pseudonymise

PROVIDER = "twilio"
MAX_MESSAGE_ID = 128
MAX_MEDIA = 10
"""Media one message carries at most (Twilio MMS: 10; WhatsApp: 1); ``NumMedia`` sizes a list."""
MAX_SEGMENTS = 255
"""Parts one concatenated SMS has at most: the part count of its user data header is one octet."""
MESSAGE_ID_FIELDS = ("MessageSid", "SmsMessageSid", "SmsSid")
SENDER_FIELDS = ("From", "WaId", "ExternalUserId", "ParentExternalUserId", "ProfileName", "ProfileUsername")
"""Fields that identify the sender (number, WhatsApp ids, display name): dropped before storage,
``From`` replaced by her key (CHANNELS.md §6.2)."""

EMPTY_TWIML = str(MessagingResponse())


def signed_url(public_url: str, path: str, query_string: str) -> str:
    """The URL Twilio signed: the configured public base, the path, the raw query (CHANNELS.md §2.3)."""
    return public_url.rstrip("/") + path + ("?" + query_string if query_string else "")


# see https://www.twilio.com/docs/usage/webhooks/webhooks-security
def verify_signature(
    url: str,
    form: Mapping[str, str],
    headers: Headers,
    *,
    auth_token: str,
    shared_key_secret: str = "",
) -> None:
    """Raise SignatureInvalid unless X-Twilio-Signature matches the form under our secret."""
    settings = headers.get(SIGNATURE_SETTINGS_HEADER, "")
    secret = shared_key_secret if settings else auth_token
    if not secret:
        raise ChannelConfigError("no Twilio secret configured for this signature scheme")
    signature = headers.get(SIGNATURE_HEADER, "")
    if not signature:
        raise SignatureInvalid(f"missing {SIGNATURE_HEADER} header")
    valid = RequestValidator(secret).validate(url, form, signature, get_signature_algorithm(settings))
    if not valid:
        raise SignatureInvalid(f"{SIGNATURE_HEADER} does not match this request")


def _location(form: Mapping[str, str]) -> dict[str, float]:
    if not form.get("Latitude") and not form.get("Longitude"):
        return {}
    try:
        lat, lon = float(form["Latitude"]), float(form["Longitude"])
    except (KeyError, ValueError) as exc:
        raise PayloadInvalid("fields 'Latitude' and 'Longitude' must both be decimal degrees") from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise PayloadInvalid("location pin outside the range of WGS84 coordinates")
    return {"lat": lat, "lon": lon}


def _count(form: Mapping[str, str], name: str, maximum: int) -> int:
    """A count field as a number within its real limit (0 when absent): a signed request must not
    size a loop or a list beyond what Twilio can send."""
    count = whole_number(optional(form, name, strip=True) or "0", maximum)
    if count is None:
        raise PayloadInvalid(f"field '{name}' must be a whole number from 0 to {maximum}")
    return count


def _media(form: Mapping[str, str]) -> list[dict[str, str]]:
    count = _count(form, "NumMedia", MAX_MEDIA)
    return [
        {"url": form.get(f"MediaUrl{i}", ""), "content_type": form.get(f"MediaContentType{i}", "")}
        for i in range(count)
    ]


def parse_message(form: Mapping[str, str], *, pepper: str, default_region: str) -> ParsedInbound:
    """Read an inbound SMS or WhatsApp webhook; the sender's number leaves only as her key."""
    # SmsSid and SmsMessageSid are deprecated copies of MessageSid that some senders still rely on.
    message_id = required(
        form, "MessageSid", aliases=MESSAGE_ID_FIELDS[1:], strip=False, max_length=MAX_MESSAGE_ID
    )
    sender = required(form, "From", strip=False)
    key = pseudonymise(sender, pepper=pepper, default_region=default_region)
    content: dict[str, Any] = {"text": form.get("Body", "")}
    content.update(_location(form))
    _count(form, "NumSegments", MAX_SEGMENTS)  # unused, but refused out of range like any count
    if media := _media(form):
        content["media"] = media
    payload = {name: form[name] for name in form if name not in SENDER_FIELDS}
    payload["From"] = key
    return ParsedInbound(
        provider=PROVIDER,
        channel="whatsapp" if sender.startswith(WHATSAPP_PREFIX) else "sms",
        provider_message_id=message_id,
        reporter_key=key,
        content=content,
        payload=payload,
    )


def salvage_message(
    form: Mapping[str, str], reason: str, *, pepper: str, default_region: str
) -> ParsedInbound:
    """Keep a malformed but signed webhook for review: nothing a woman sent is dropped."""
    sender = form.get("From", "")
    key = pseudonymise(sender, pepper=pepper, default_region=default_region) if sender.strip() else None
    payload = {name: form[name] for name in form if name not in SENDER_FIELDS}
    digest = hashlib.sha256(json.dumps(sorted(payload.items())).encode()).hexdigest()[:40]
    return ParsedInbound(
        provider=PROVIDER,
        channel="whatsapp" if sender.startswith(WHATSAPP_PREFIX) else "sms",
        provider_message_id="invalid-" + digest,
        reporter_key=key,
        content={"text": form.get("Body", ""), "error": reason},
        payload=payload | ({"From": key} if key else {}),
    )

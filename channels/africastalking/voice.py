"""Missed calls ("beeps") to an Africa's Talking number: who called, and a rejection that costs nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from channels.africastalking.sms import MAX_MESSAGE_ID, PROVIDER
from channels.base import ParsedInbound, missed_call_message
from channels.errors import PayloadInvalid
from channels.forms import optional, required
from channels.phone import pseudonymise

# see https://docs.africastalking.com/voice/reject
REJECT_RESPONSE = '<?xml version="1.0" encoding="UTF-8"?><Response><Reject/></Response>'
"""Rejects the call unanswered, so neither she nor Dalili pays; it must be the only action."""

ACTIVE_FLAGS = {"1": True, "0": False}


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomingCall:
    """One voice callback as the alerts core needs it: her key, never her number."""

    session_id: str
    reporter_key: str
    direction: str
    """``inbound`` (she called) or ``outbound`` (Dalili called), lower-cased."""
    is_active: bool
    """False on the final callback of a session, which carries duration and cost, not a new call."""
    provider: str = PROVIDER


# see https://docs.africastalking.com/voice/callhandler
def parse_call(form: Mapping[str, str], *, pepper: str, default_region: str) -> IncomingCall:
    """Read a voice callback; the caller's number leaves only as her key."""
    session_id = required(form, "sessionId", strip=True, max_length=MAX_MESSAGE_ID)
    raw_active = required(form, "isActive", strip=True)
    if raw_active not in ACTIVE_FLAGS:
        raise PayloadInvalid("field 'isActive' must be '1' or '0'")
    caller = required(form, "callerNumber", strip=False)
    return IncomingCall(
        session_id=session_id,
        reporter_key=pseudonymise(caller, pepper=pepper, default_region=default_region),
        direction=optional(form, "direction", strip=True).lower(),
        is_active=ACTIVE_FLAGS[raw_active],
    )


def missed_call(form: Mapping[str, str], *, pepper: str, default_region: str) -> ParsedInbound | None:
    """The call as a request for a call back; None for the last callback of a call (``isActive=0``),
    which only reports its duration."""
    call = parse_call(form, pepper=pepper, default_region=default_region)
    return missed_call_message(call.provider, call.session_id, call.reporter_key) if call.is_active else None

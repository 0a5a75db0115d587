"""Missed calls ("beeps") to a Twilio number: who called, and a rejection that costs her nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from twilio.twiml.voice_response import VoiceResponse

from channels.base import ParsedInbound, missed_call_message
from channels.forms import optional, required
from channels.phone import pseudonymise
from channels.twilio.inbound import MAX_MESSAGE_ID, PROVIDER


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomingCall:
    """One incoming call as the alerts core needs it: her key, never her number."""

    call_sid: str
    reporter_key: str
    call_status: str
    """Twilio ``CallStatus``; ``ringing`` for a call not yet answered."""
    provider: str = PROVIDER


def _reject_twiml() -> str:
    response = VoiceResponse()
    # see https://www.twilio.com/docs/voice/twiml/reject
    # As the first verb, <Reject> leaves the call unanswered: Twilio bills nothing and her operator has no
    # connected call to charge. "busy" plays a busy tone, as a beep expects, not "not in service".
    response.reject(reason="busy")
    return str(response)


REJECT_TWIML = _reject_twiml()


# see https://www.twilio.com/docs/usage/webhooks/voice-webhooks#incoming-voice-call
def parse_call(form: Mapping[str, str], *, pepper: str, default_region: str) -> IncomingCall:
    """Read an incoming-call webhook; the caller's number leaves only as her key."""
    call_sid = required(form, "CallSid", strip=True, max_length=MAX_MESSAGE_ID)
    caller = required(form, "From", strip=True)
    return IncomingCall(
        call_sid=call_sid,
        reporter_key=pseudonymise(caller, pepper=pepper, default_region=default_region),
        call_status=optional(form, "CallStatus", strip=True),
    )


def missed_call(form: Mapping[str, str], *, pepper: str, default_region: str) -> ParsedInbound:
    """The call as a request for a call back."""
    call = parse_call(form, pepper=pepper, default_region=default_region)
    return missed_call_message(call.provider, call.call_sid, call.reporter_key)

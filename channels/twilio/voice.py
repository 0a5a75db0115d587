"""Missed calls ("beeps") to a Twilio number: who called, and a rejection that costs her nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from twilio.twiml.voice_response import VoiceResponse

from channels.errors import PayloadInvalid
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


def _required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name, "").strip()
    if not value:
        raise PayloadInvalid(f"field '{name}' required")
    return value


# see https://www.twilio.com/docs/usage/webhooks/voice-webhooks#incoming-voice-call
def parse_call(form: Mapping[str, str], *, pepper: str, default_region: str) -> IncomingCall:
    """Read an incoming-call webhook; the caller's number leaves only as her key."""
    call_sid = _required(form, "CallSid")
    if len(call_sid) > MAX_MESSAGE_ID:
        raise PayloadInvalid(f"field 'CallSid' longer than {MAX_MESSAGE_ID} characters")
    caller = _required(form, "From")
    return IncomingCall(
        call_sid=call_sid,
        reporter_key=pseudonymise(caller, pepper=pepper, default_region=default_region),
        call_status=form.get("CallStatus", "").strip(),
    )

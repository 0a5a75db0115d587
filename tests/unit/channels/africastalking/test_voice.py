"""Africa's Talking missed calls: the voice callback and the answer that rejects the call unanswered."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass

import pytest

from channels.africastalking.voice import REJECT_RESPONSE, parse_call
from channels.errors import PayloadInvalid
from channels.phone import pseudonymise

pytestmark = pytest.mark.unit

IDENTITY = {"pepper": "p", "default_region": "SS"}
NUMBER = "+211912345678"
SESSION = "ATVId_5d3b4c2bc589f4811820a7184eed4df5"
CALL = {
    "isActive": "1",
    "sessionId": SESSION,
    "direction": "Inbound",
    "callerNumber": NUMBER,
    "destinationNumber": "+211920000000",
}
ENDED = CALL | {"isActive": "0", "durationInSeconds": "0", "currencyCode": "KES", "amount": "0"}


def without(name: str) -> dict[str, str]:
    return {k: v for k, v in CALL.items() if k != name}


@dataclass
class Case:
    label: str
    form: dict[str, str]
    is_active: bool = True
    direction: str = "inbound"
    error: str = ""


CASES = [
    Case("ringing", CALL),
    Case("final callback of the session", ENDED, is_active=False),
    Case("outbound call", CALL | {"direction": "Outbound"}, direction="outbound"),
    Case("direction absent", without("direction"), direction=""),
    Case("national caller number", CALL | {"callerNumber": "0912345678"}),
    Case("missing sessionId", without("sessionId"), error="field 'sessionId' required"),
    Case("oversized sessionId", CALL | {"sessionId": "x" * 200}, error="'sessionId' longer than"),
    Case("missing callerNumber", without("callerNumber"), error="field 'callerNumber' required"),
    Case("blank callerNumber", CALL | {"callerNumber": " "}, error="field 'callerNumber' required"),
    Case("missing isActive", without("isActive"), error="field 'isActive' required"),
    Case("isActive not a flag", CALL | {"isActive": "true"}, error="'isActive' must be"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
def test_voice_callbacks(case: Case) -> None:
    if case.error:
        with pytest.raises(PayloadInvalid, match=case.error):
            parse_call(case.form, **IDENTITY)
        return
    call = parse_call(case.form, **IDENTITY)
    assert (call.session_id, call.provider) == (SESSION, "africastalking")
    assert call.reporter_key == pseudonymise(NUMBER, **IDENTITY)
    assert (call.is_active, call.direction) == (case.is_active, case.direction)
    assert "912345678" not in json.dumps(asdict(call))


def test_the_reject_response_is_the_documented_xml() -> None:
    assert REJECT_RESPONSE == '<?xml version="1.0" encoding="UTF-8"?><Response><Reject/></Response>'
    root = ET.fromstring(REJECT_RESPONSE)
    assert root.tag == "Response"
    assert [child.tag for child in root] == ["Reject"]

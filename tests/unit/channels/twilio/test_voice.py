"""Missed calls to a Twilio number, table-driven over Twilio's incoming-call webhook parameters."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest

from channels.errors import PayloadInvalid
from channels.phone import pseudonymise
from channels.twilio.voice import REJECT_TWIML, parse_call

pytestmark = pytest.mark.unit

NUMBER = "+211912345678"
SID = "CA" + "e" * 32
CALL = {
    "CallSid": SID,
    "AccountSid": "AC" + "0" * 32,
    "From": NUMBER,
    "Caller": NUMBER,
    "To": "+211920000000",
    "Called": "+211920000000",
    "CallStatus": "ringing",
    "Direction": "inbound",
    "ApiVersion": "2010-04-01",
    "CallerName": "",
    "FromCountry": "SS",
    "CallToken": "%7B%22parentCallInfoToken%22%3A%22...%22%7D",
}


def without(name: str) -> dict[str, str]:
    return {k: v for k, v in CALL.items() if k != name}


@dataclass
class Case:
    label: str
    form: dict[str, str]
    status: str = "ringing"
    error: str = ""


CASES = [
    Case("ringing beep", CALL),
    Case("no CallStatus", without("CallStatus"), status=""),
    Case("local number format", CALL | {"From": "0912345678"}),
    Case("missing CallSid", without("CallSid"), error="'CallSid' required"),
    Case("blank CallSid", CALL | {"CallSid": "  "}, error="'CallSid' required"),
    Case("oversized CallSid", CALL | {"CallSid": "CA" + "9" * 200}, error="longer than"),
    Case("missing From", without("From"), error="'From' required"),
    Case("blank From", CALL | {"From": ""}, error="'From' required"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
def test_incoming_calls(case: Case) -> None:
    if case.error:
        with pytest.raises(PayloadInvalid, match=case.error):
            parse_call(case.form, pepper="p", default_region="SS")
        return
    call = parse_call(case.form, pepper="p", default_region="SS")
    assert call.provider == "twilio"
    assert call.call_sid == SID
    assert call.call_status == case.status
    assert call.reporter_key == pseudonymise(NUMBER, pepper="p", default_region="SS")
    assert "912345678" not in repr(call), "the caller's number must not survive parsing"


def test_her_key_is_the_same_as_for_her_sms() -> None:
    call = parse_call(CALL, pepper="p", default_region="SS")
    assert call.reporter_key == pseudonymise("+211 91 234 5678", pepper="p", default_region="SS")


def test_the_reply_rejects_the_call_as_busy_without_answering_it() -> None:
    assert (
        REJECT_TWIML == '<?xml version="1.0" encoding="UTF-8"?><Response><Reject reason="busy" /></Response>'
    )
    root = ET.fromstring(REJECT_TWIML)
    assert root.tag == "Response"
    assert [(child.tag, child.attrib) for child in root] == [("Reject", {"reason": "busy"})]

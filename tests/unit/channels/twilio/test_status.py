"""Twilio status callbacks, table-driven over payloads written from CHANNELS.md §4 and §6."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import Any

import pytest

from alerts.reporters.outbound import should_apply
from channels.base import DELIVERY_STATUSES
from channels.errors import PayloadInvalid
from channels.twilio.inbound import verify_signature
from channels.twilio.status import STATUS_MAPPING, is_opt_out, parse_status

pytestmark = pytest.mark.unit

SHARED_FIXTURES = Path(__file__).resolve().parents[5] / "shared" / "fixtures" / "channels"
NUMBER = "+211912345678"
SID = "SM" + "c" * 32


def sms_status(status: str, **extra: str) -> dict[str, str]:
    return {
        "MessageSid": SID,
        "SmsSid": SID,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": "AC" + "0" * 32,
        "From": "+211920000000",
        "To": NUMBER,
        "ApiVersion": "2010-04-01",
    } | extra


def whatsapp_status(status: str, **extra: str) -> dict[str, str]:
    return sms_status(status, **extra) | {
        "From": "whatsapp:+211920000000",
        "To": "whatsapp:" + NUMBER,
        "ChannelToAddress": NUMBER,
        "ChannelPrefix": "whatsapp",
        "ChannelInstallSid": "XE" + "d" * 32,
    }


def without(form: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in form.items() if k != name}


@dataclass
class Case:
    label: str
    form: dict[str, str]
    status: str | None = None
    error_code: str | None = None
    opt_out: bool = False
    error: str = ""


CASES = [
    Case("accepted by a messaging service", sms_status("accepted"), "accepted"),
    Case("scheduled counts as accepted", sms_status("scheduled"), "accepted"),
    Case("queued", sms_status("queued"), "queued"),
    Case("sending", sms_status("sending"), "sending"),
    Case("sent", sms_status("sent"), "sent"),
    Case("partially delivered counts as sent", sms_status("partially_delivered"), "sent"),
    Case("delivered with carrier done date", sms_status("delivered", RawDlrDoneDate="2405141230"),
         "delivered"),
    Case("undelivered counts as failed", sms_status("undelivered", ErrorCode="30003"), "failed", "30003"),
    Case("failed, she replied STOP", sms_status("failed", ErrorCode="21610"), "failed", "21610",
         opt_out=True),
    Case("canceled scheduled message", sms_status("canceled"), "canceled"),
    Case("whatsapp sent", whatsapp_status("sent", StructuredMessage="false"), "sent"),
    Case("whatsapp delivered", whatsapp_status("delivered", EventType="DELIVERED"), "delivered"),
    Case("whatsapp read receipt", whatsapp_status("read", EventType="READ"), "read"),
    Case("whatsapp outside the window", whatsapp_status("failed", ErrorCode="63016",
         ChannelStatusMessage="Message failed to send because more than 24 hours have passed"),
         "failed", "63016"),
    Case("whatsapp rate limited", whatsapp_status("failed", ErrorCode="63018"), "failed", "63018"),
    Case("blank ErrorCode is no code", sms_status("delivered", ErrorCode=""), "delivered"),
    Case("receiving is an inbound status", sms_status("receiving"), None),
    Case("received is an inbound status", sms_status("received"), None),
    Case("unknown status", sms_status("huh"), None),
    Case("missing MessageSid", without(sms_status("sent"), "MessageSid"), error="'MessageSid' required"),
    Case("blank MessageSid", sms_status("sent") | {"MessageSid": " "}, error="'MessageSid' required"),
    Case("oversized MessageSid", sms_status("sent") | {"MessageSid": "SM" + "9" * 200}, error="longer than"),
    Case("missing MessageStatus", without(sms_status("sent"), "MessageStatus"),
         error="'MessageStatus' required"),
    Case("blank MessageStatus", sms_status(""), error="'MessageStatus' required"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
def test_status_payloads(case: Case) -> None:
    if case.error:
        with pytest.raises(PayloadInvalid, match=case.error):
            parse_status(case.form)
        return
    update = parse_status(case.form)
    if case.status is None:
        assert update is None
        return
    assert update is not None
    assert update.provider == "twilio"
    assert update.provider_message_id == SID
    assert update.status == case.status
    assert update.status in DELIVERY_STATUSES
    assert update.error_code == case.error_code
    assert is_opt_out(update) is case.opt_out
    if case.error_code:
        assert update.payload["ErrorCode"] == case.error_code
    assert update.payload["MessageStatus"] == case.form["MessageStatus"]
    assert "To" not in update.payload
    assert "ChannelToAddress" not in update.payload
    assert "912345678" not in json.dumps(update.payload), "the recipient's number must not be stored"


def test_every_twilio_status_is_mapped_into_the_delivery_vocabulary() -> None:
    twilio_statuses = {
        "queued", "sending", "sent", "failed", "delivered", "undelivered", "receiving", "received",
        "accepted", "scheduled", "read", "partially_delivered", "canceled",
    }  # fmt: skip
    assert set(STATUS_MAPPING) == twilio_statuses
    assert {s for s in STATUS_MAPPING.values() if s is not None} == set(DELIVERY_STATUSES)


@dataclass
class Rank:
    label: str
    stored: str | None
    incoming: str
    apply: bool


RANKS = [
    Rank("first callback", None, "sent", True),
    Rank("first callback is a failure", None, "failed", True),
    Rank("queued then sent", "queued", "sent", True),
    Rank("late queued after sending", "sending", "queued", False),
    Rank("late accepted after queued", "queued", "accepted", False),
    Rank("delivered after sent", "sent", "delivered", True),
    Rank("late sent never undoes delivered", "delivered", "sent", False),
    Rank("failure after sent is news", "sent", "failed", True),
    Rank("handset receipt outranks a failure", "failed", "delivered", True),
    Rank("late failure after delivered", "delivered", "failed", False),
    Rank("read after delivered", "delivered", "read", True),
    Rank("read implies delivered", "read", "delivered", False),
    Rank("duplicate delivered", "delivered", "delivered", False),
    Rank("duplicate failed", "failed", "failed", False),
    Rank("canceled before sending", "queued", "canceled", True),
    Rank("canceled is terminal for sent", "canceled", "sent", False),
    Rank("canceled is terminal for read", "canceled", "read", False),
    Rank("duplicate canceled", "canceled", "canceled", False),
]


@pytest.mark.parametrize("case", RANKS, ids=lambda c: c.label)
def test_ranking_rule(case: Rank) -> None:
    assert should_apply(case.stored, case.incoming) is case.apply


@pytest.mark.parametrize(("stored", "incoming"), [(None, "huh"), ("huh", "sent"), ("sent", "undelivered")])
def test_a_status_outside_the_vocabulary_is_a_programming_error(stored: str | None, incoming: str) -> None:
    with pytest.raises(ValueError, match="not a delivery status"):
        should_apply(stored, incoming)


@pytest.mark.parametrize(
    ("label", "arrivals", "final"),
    [
        ("in order", ["queued", "sent", "delivered", "read"], "read"),
        ("sent arrives last", ["delivered", "sent"], "delivered"),
        ("read overtakes delivered", ["sent", "read", "delivered"], "read"),
        ("undelivered then a late sent", ["undelivered", "sent"], "failed"),
    ],
)
def test_out_of_order_callbacks_settle_on_the_highest_rank(
    label: str, arrivals: list[str], final: str
) -> None:
    updates = [parse_status(sms_status(s)) for s in arrivals]

    def apply(stored: str | None, incoming: str) -> str | None:
        return incoming if should_apply(stored, incoming) else stored

    assert reduce(apply, [u.status for u in updates if u is not None], None) == final


def _shared_status_fixtures() -> list[dict[str, Any]]:
    if not SHARED_FIXTURES.is_dir():
        return []
    patterns = ("twilio_*status*.json", "extra/twilio_*status*.json")
    return [json.loads(p.read_text()) for pattern in patterns for p in sorted(SHARED_FIXTURES.glob(pattern))]


@pytest.mark.skipif(not SHARED_FIXTURES.is_dir(), reason="../shared/fixtures/channels not available")
@pytest.mark.parametrize("fixture", _shared_status_fixtures(), ids=lambda d: str(d["name"]))
def test_shared_reference_status_callbacks(fixture: dict[str, Any]) -> None:
    request = fixture["request"]
    params = request["params"]
    if example := request.get("signature_example"):
        verify_signature(example["url"], params, {"X-Twilio-Signature": example["X-Twilio-Signature"]},
                         auth_token=example["auth_token"])  # fmt: skip
    expected = fixture.get("expected", {})
    update = parse_status(params)
    if "status" not in expected:
        assert update is None
        return
    assert update is not None
    assert update.status == expected["status"]
    assert update.error_code == expected.get("error_code")
    assert is_opt_out(update) is (expected.get("error_code") == "21610")
    assert "To" not in update.payload
    assert "ChannelToAddress" not in update.payload

"""Africa's Talking outbound SMS: the exact request the SDK sends, every answer mapped (CHANNELS.md §9)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
import responses

from channels.africastalking.outbound import OPERATOR_CODES, AfricasTalkingSender
from channels.base import DELIVERY_STATUSES, OutboundMessage, Sender, SendResult
from channels.errors import ChannelConfigError, SendFailed

pytestmark = pytest.mark.unit

SHARED_FIXTURES = Path(__file__).resolve().parents[5] / "shared" / "fixtures" / "channels"
URL = "https://api.sandbox.africastalking.com/version1/messaging"
LIVE_URL = "https://api.africastalking.com/version1/messaging"
API_KEY = "test-key"
NUMBER = "+211912345678"
TEXT = "Signalement reçu. Réf. 4821 — شكرا"
MESSAGE = OutboundMessage(to=NUMBER, text=TEXT)
MESSAGE_ID = "ATXid_09b5a410fd2f388a06f152f56ce95801"
JSON = "application/json"


def reply(status_code: int, status: str = "Success", message_id: str = MESSAGE_ID) -> dict[str, Any]:
    recipient = {"cost": "KES 0.8000", "messageId": message_id, "number": NUMBER, "status": status}
    return {
        "SMSMessageData": {
            "Message": "Sent to 1/1 Total Cost: KES 0.8000",
            "Recipients": [recipient | {"statusCode": status_code}],
        }
    }


def refused(status_code: int, status: str) -> dict[str, Any]:
    return reply(status_code, status, message_id="None")


def no_recipients(summary: str) -> dict[str, Any]:
    return {"SMSMessageData": {"Message": summary, "Recipients": []}}


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def sent_form(api: responses.RequestsMock, index: int = 0) -> dict[str, list[str]]:
    body = api.calls[index].request.body
    assert isinstance(body, str)
    return parse_qs(body, keep_blank_values=True)


def test_the_exact_request_the_sdk_sends(api: responses.RequestsMock) -> None:
    api.post(URL, json=reply(101), status=201)
    result = AfricasTalkingSender("sandbox", API_KEY).send(MESSAGE)
    assert result == SendResult(MESSAGE_ID, "sent")
    (call,) = api.calls
    assert call.request.method == "POST"
    assert call.request.url == URL
    assert call.request.headers["apiKey"] == API_KEY
    assert call.request.headers["Accept"] == JSON
    assert call.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent_form(api) == {
        "username": ["sandbox"],
        "to": [NUMBER],
        "message": [TEXT],
        "bulkSMSMode": ["1"],
    }


def test_a_sender_id_and_a_live_account(api: responses.RequestsMock) -> None:
    api.post(LIVE_URL, json=reply(101), status=201)
    AfricasTalkingSender("dalili", API_KEY, sender_id="DALILI").send(MESSAGE)
    assert api.calls[0].request.url == LIVE_URL
    assert sent_form(api) == {
        "username": ["dalili"],
        "to": [NUMBER],
        "message": [TEXT],
        "bulkSMSMode": ["1"],
        "from": ["DALILI"],
    }


def test_each_sender_keeps_its_own_account(api: responses.RequestsMock) -> None:
    api.post(URL, json=reply(101), status=201)
    first, second = AfricasTalkingSender("sandbox", "key-one"), AfricasTalkingSender("sandbox", "key-two")
    first.send(MESSAGE)
    second.send(MESSAGE)
    first.send(MESSAGE)
    assert [c.request.headers["apiKey"] for c in api.calls] == ["key-one", "key-two", "key-one"]


def test_it_is_a_sender() -> None:
    sender: Sender = AfricasTalkingSender("sandbox", API_KEY)
    assert sender.provider == "africastalking"


@pytest.mark.parametrize(("username", "api_key"), [("", API_KEY), ("sandbox", "")])
def test_missing_credentials_are_a_config_error(username: str, api_key: str) -> None:
    with pytest.raises(ChannelConfigError):
        AfricasTalkingSender(username, api_key)


@dataclass
class Case:
    label: str
    status: int = 201
    body: Any = None
    content_type: str = JSON
    exception: Exception | None = None
    message: OutboundMessage = MESSAGE
    result: str = ""
    retryable: bool = False
    code: str | None = None
    requests: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


CASES = [
    Case("100 processed", body=reply(100), result="queued"),
    Case("101 sent", body=reply(101), result="sent"),
    Case("102 queued", body=reply(102), result="queued"),
    Case("json with charset arrives as a str", body=reply(101), content_type=JSON + "; charset=utf-8",
         result="sent"),
    Case("json as text/plain", body=reply(102), content_type="text/plain", result="queued"),
    Case("a 200 is as good as a 201", status=200, body=reply(101), result="sent"),
    Case("401 risk hold", body=refused(401, "RiskHold"), code="RiskHold"),
    Case("402 invalid sender id", body=refused(402, "InvalidSenderId"), code="InvalidSenderId"),
    Case("403 invalid phone number", body=refused(403, "InvalidPhoneNumber"), code="InvalidPhoneNumber"),
    Case("404 unsupported number type", body=refused(404, "UnsupportedNumberType"),
         code="UnsupportedNumberType"),
    Case("405 insufficient balance", body=refused(405, "InsufficientBalance"), code="InsufficientBalance"),
    Case("406 blacklisted", body=refused(406, "UserInBlacklist"), code="UserInBlacklist"),
    Case("407 could not route", body=refused(407, "CouldNotRoute"), code="CouldNotRoute"),
    Case("409 do not disturb", body=refused(409, "DoNotDisturbRejection"), code="DoNotDisturbRejection"),
    Case("500 internal error", body=refused(500, "InternalServerError"), retryable=True,
         code="InternalServerError"),
    Case("501 gateway error", body=refused(501, "GatewayError"), retryable=True, code="GatewayError"),
    Case("502 rejected by gateway", body=refused(502, "RejectedByGateway"), retryable=True,
         code="RejectedByGateway"),
    Case("unknown status code", body=reply(999, "Mystery"), code="statusCode=999"),
    Case("accepted without a message id", body=reply(101, message_id="None"), code="NoMessageId"),
    Case("201 with no recipients", body=no_recipients("InvalidSenderId"), code="InvalidSenderId"),
    Case("201 with no recipients, sentence", body=no_recipients("Sent to 0/1 Total Cost: 0"),
         code="NoRecipients"),
    Case("no SMSMessageData", body={"error": "?"}, code="UnreadableResponse"),
    Case("2xx that is not json", body="<html>ok</html>", content_type="text/html", code="UnreadableResponse"),
    Case("2xx json that is broken", body="{", code="UnreadableResponse"),
    Case("http 401 invalid key", status=401, body="The supplied authentication is invalid",
         content_type="text/plain; charset=UTF-8", code="InvalidApiKey"),
    Case("http 500", status=500, body="Internal Server Error", content_type="text/plain", retryable=True,
         code="HttpError"),
    Case("http 503 html", status=503, body="<html>503</html>", content_type="text/html", retryable=True,
         code="HttpError"),
    Case("connection refused", exception=requests.ConnectionError("refused"), retryable=True),
    Case("read timeout", exception=requests.ReadTimeout("slow"), retryable=True),
    Case("national number refused before sending", message=OutboundMessage(to="0912345678", text=TEXT),
         code="InvalidPhoneNumber", requests=0),
    Case("whatsapp is not an AT channel", message=OutboundMessage(to=NUMBER, text=TEXT, channel="whatsapp"),
         code="UnsupportedChannel", requests=0),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
def test_answers(case: Case, api: responses.RequestsMock, caplog: pytest.LogCaptureFixture) -> None:
    if case.exception is not None:
        api.post(URL, body=case.exception)
    else:
        body = case.body if isinstance(case.body, str) else json.dumps(case.body)
        api.post(URL, body=body, status=case.status, content_type=case.content_type)
    sender = AfricasTalkingSender("sandbox", API_KEY)
    with caplog.at_level(logging.DEBUG):
        if case.result:
            result = sender.send(case.message)
            assert result == SendResult(MESSAGE_ID, case.result)
            assert result.status in DELIVERY_STATUSES
        else:
            with pytest.raises(SendFailed) as raised:
                sender.send(case.message)
            failure = raised.value
            assert (failure.retryable, failure.code) == (case.retryable, case.code)
            assert failure.__suppress_context__, "the SDK's text (her number) must not chain"
            assert failure.__cause__ is None
            assert "912345678" not in str(failure)
            assert TEXT not in str(failure)
    assert len(api.calls) == case.requests
    assert "912345678" not in caplog.text, "never log her number"
    assert TEXT not in caplog.text, "never log her words"


def test_an_echoing_error_body_is_redacted(api: responses.RequestsMock) -> None:
    api.post(URL, body=f"Bad request for {NUMBER}: {TEXT}", status=400, content_type="text/plain")
    with pytest.raises(SendFailed) as raised:
        AfricasTalkingSender("sandbox", API_KEY).send(MESSAGE)
    assert "912345678" not in str(raised.value)
    assert TEXT not in str(raised.value)
    assert raised.value.retryable
    assert raised.value.code == "HttpError"


def test_operator_codes_are_named_refusals() -> None:
    assert {"InvalidApiKey", "InvalidSenderId", "InsufficientBalance"} == OPERATOR_CODES


def _shared_responses() -> list[dict[str, Any]]:
    if not SHARED_FIXTURES.is_dir():
        return []
    paths = sorted(SHARED_FIXTURES.glob("at_send_response_*.json")) + sorted(
        SHARED_FIXTURES.glob("extra/at_send_response_*.json")
    )
    return [json.loads(p.read_text()) for p in paths]


@pytest.mark.skipif(not SHARED_FIXTURES.is_dir(), reason="../shared/fixtures/channels not available")
@pytest.mark.parametrize("fixture", _shared_responses(), ids=lambda d: str(d["name"]))
def test_shared_recorded_responses(fixture: dict[str, Any], api: responses.RequestsMock) -> None:
    response = fixture["response"]
    api.post(
        URL,
        body=response["raw_body"],
        status=response["http_status"],
        content_type=response["headers"]["Content-Type"],
    )
    document = response["json"]
    recipients = (document or {}).get("SMSMessageData", {}).get("Recipients", [])
    sender = AfricasTalkingSender("sandbox", API_KEY)
    if recipients and recipients[0]["statusCode"] in (100, 101, 102):
        result = sender.send(OutboundMessage(to=recipients[0]["number"], text="ok"))
        assert result.provider_message_id == recipients[0]["messageId"]
        assert result.status == ("sent" if recipients[0]["statusCode"] == 101 else "queued")
        return
    with pytest.raises(SendFailed) as raised:
        sender.send(MESSAGE)
    assert not raised.value.retryable
    assert raised.value.code in OPERATOR_CODES

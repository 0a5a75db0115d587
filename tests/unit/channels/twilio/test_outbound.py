"""Twilio outbound REST calls: the exact request sent, and Twilio's refusals as typed errors."""

from __future__ import annotations

import base64
import json
import logging
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from twilio.rest import Client

from channels.base import OutboundMessage, Sender
from channels.errors import ChannelConfigError, SendFailed
from channels.twilio.outbound import TwilioSender, within_whatsapp_window

pytestmark = pytest.mark.unit

SHARED_FIXTURES = Path(__file__).resolve().parents[5] / "shared" / "fixtures" / "channels"
ACCOUNT = "AC" + "1" * 32
TOKEN = "test-auth-token"
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
BASIC_AUTH = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
NUMBER = "+211912345678"
OUR_NUMBER = "+211920000000"
WA_SENDER = "+14155238886"
SERVICE = "MG" + "2" * 32
CALLBACK = "https://reports.example.org/webhooks/twilio/status"
TEMPLATE = "HX" + "3" * 32
SID = "SM" + "4" * 32
TEXT = "Alerte R-1042 reçue. Merci."
ARABIC = "تم استلام البلاغ"


def twilio_message(status: str = "queued") -> dict[str, Any]:
    """The Message resource Twilio answers with (CHANNELS.md §5), trimmed to what matters."""
    return {
        "account_sid": ACCOUNT,
        "api_version": "2010-04-01",
        "sid": SID,
        "status": status,
        "num_segments": "1",
        "error_code": None,
        "error_message": None,
        "direction": "outbound-api",
    }


def twilio_error(status: int, code: int, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}  # fmt: skip


@pytest.fixture
def twilio_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    # The SDK reads these at construction: a developer's shell must not move the URL under test.
    for name in ("TWILIO_EDGE", "TWILIO_REGION"):
        monkeypatch.delenv(name, raising=False)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def sent_form(mock: responses.RequestsMock) -> dict[str, str]:
    assert len(mock.calls) == 1
    request = mock.calls[0].request
    assert request.method == "POST"
    assert request.url == MESSAGES_URL
    assert request.headers["Authorization"] == BASIC_AUTH
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    body = request.body
    text = body.decode() if isinstance(body, bytes) else str(body)
    pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    assert len(pairs) == len(dict(pairs)), "no form field may repeat"
    return dict(pairs)


@dataclass
class Case:
    label: str
    message: OutboundMessage
    form: dict[str, str]
    config: dict[str, str] = field(default_factory=lambda: {"from_number": OUR_NUMBER})
    answer: str = "queued"
    status: str = "queued"


def sms(text: str = TEXT) -> OutboundMessage:
    return OutboundMessage(to=NUMBER, text=text)


def whatsapp(to: str = NUMBER, **extra: Any) -> OutboundMessage:
    return OutboundMessage(to=to, text=TEXT, channel="whatsapp", **extra)


WA_CONFIG = {"whatsapp_from": WA_SENDER}
WA_FORM = {"To": "whatsapp:" + NUMBER, "From": "whatsapp:" + WA_SENDER, "Body": TEXT}

CASES = [
    Case("sms from our number", sms(), {"To": NUMBER, "From": OUR_NUMBER, "Body": TEXT}),
    Case("sms with a status callback", sms(),
         {"To": NUMBER, "From": OUR_NUMBER, "Body": TEXT, "StatusCallback": CALLBACK},
         config={"from_number": OUR_NUMBER, "status_callback": CALLBACK}),
    Case("sms through a messaging service", sms(),
         {"To": NUMBER, "MessagingServiceSid": SERVICE, "Body": TEXT},
         config={"messaging_service_sid": SERVICE}, answer="accepted", status="accepted"),
    Case("an explicit number wins over the service", sms(),
         {"To": NUMBER, "From": OUR_NUMBER, "Body": TEXT},
         config={"from_number": OUR_NUMBER, "messaging_service_sid": SERVICE}),
    Case("sms in arabic", sms(ARABIC), {"To": NUMBER, "From": OUR_NUMBER, "Body": ARABIC}),
    Case("sms template ignored", OutboundMessage(to=NUMBER, text=TEXT, template_sid=TEMPLATE),
         {"To": NUMBER, "From": OUR_NUMBER, "Body": TEXT}),
    Case("whatsapp free-form", whatsapp(), WA_FORM, config=WA_CONFIG),
    Case("whatsapp address already prefixed", whatsapp("whatsapp:" + NUMBER), WA_FORM, config=WA_CONFIG),
    Case("whatsapp sender already prefixed", whatsapp(), WA_FORM,
         config={"whatsapp_from": "whatsapp:" + WA_SENDER}),
    Case("whatsapp id without plus", whatsapp("211912345678"), WA_FORM, config=WA_CONFIG),
    Case("whatsapp BSUID gets no plus", whatsapp("whatsapp:US.1234"),
         WA_FORM | {"To": "whatsapp:US.1234"}, config=WA_CONFIG),
    Case("whatsapp template with variables",
         whatsapp(template_sid=TEMPLATE, template_variables={"1": "R-1042", "2": "Bentiu"}),
         {"To": "whatsapp:" + NUMBER, "From": "whatsapp:" + WA_SENDER, "ContentSid": TEMPLATE,
          "ContentVariables": '{"1":"R-1042","2":"Bentiu"}', "StatusCallback": CALLBACK},
         config=WA_CONFIG | {"status_callback": CALLBACK}),
    Case("whatsapp template variables stay unicode",
         whatsapp(template_sid=TEMPLATE, template_variables={"1": "école"}),
         {"To": "whatsapp:" + NUMBER, "From": "whatsapp:" + WA_SENDER, "ContentSid": TEMPLATE,
          "ContentVariables": '{"1":"école"}'}, config=WA_CONFIG),
    Case("whatsapp template without variables", whatsapp(template_sid=TEMPLATE),
         {"To": "whatsapp:" + NUMBER, "From": "whatsapp:" + WA_SENDER, "ContentSid": TEMPLATE},
         config=WA_CONFIG),
    Case("whatsapp through a messaging service", whatsapp(),
         {"To": "whatsapp:" + NUMBER, "MessagingServiceSid": SERVICE, "Body": TEXT},
         config={"from_number": OUR_NUMBER, "messaging_service_sid": SERVICE},
         answer="accepted", status="accepted"),
    Case("unexpected initial status ranks lowest", sms(), {"To": NUMBER, "From": OUR_NUMBER, "Body": TEXT},
         answer="receiving", status="accepted"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
def test_the_exact_request_sent_to_twilio(case: Case, twilio_api: responses.RequestsMock) -> None:
    twilio_api.add(responses.POST, MESSAGES_URL, json=twilio_message(case.answer), status=201)
    sender = TwilioSender(ACCOUNT, TOKEN, **case.config)
    result = sender.send(case.message)
    assert sent_form(twilio_api) == case.form
    assert result.provider_message_id == SID
    assert result.status == case.status


def test_an_injected_client_is_used(twilio_api: responses.RequestsMock) -> None:
    twilio_api.add(responses.POST, MESSAGES_URL, json=twilio_message(), status=201)
    sender = TwilioSender("ignored", "ignored", from_number=OUR_NUMBER, client=Client(ACCOUNT, TOKEN))
    sender.send(sms())
    assert sent_form(twilio_api)["To"] == NUMBER


def test_the_sender_satisfies_the_port() -> None:
    sender: Sender = TwilioSender(ACCOUNT, TOKEN, from_number=OUR_NUMBER)
    assert sender.provider == "twilio"


@dataclass
class Failure:
    label: str
    answer: dict[str, Any]
    retryable: bool
    code: str | None
    message: OutboundMessage = field(default_factory=sms)


FAILURES = [
    Failure("400 21610 she replied STOP",
            {"status": 400, "json": twilio_error(400, 21610, "Attempt to send to unsubscribed recipient")},
            retryable=False, code="21610"),
    Failure("400 21211 invalid To quotes her number",
            {"status": 400, "json": twilio_error(400, 21211, f"The 'To' number {NUMBER} is not valid.")},
            retryable=False, code="21211"),
    Failure("401 bad credentials", {"status": 401, "json": twilio_error(401, 20003, "Authenticate")},
            retryable=False, code="20003"),
    Failure("400 63016 outside the whatsapp window",
            {"status": 400, "json": twilio_error(400, 63016, "Failed to send freeform message")},
            retryable=False, code="63016", message=whatsapp()),
    Failure("400 63018 whatsapp rate limit", {"status": 400, "json": twilio_error(400, 63018, "Rate limit")},
            retryable=True, code="63018", message=whatsapp()),
    Failure("429 20429 throttled", {"status": 429, "json": twilio_error(429, 20429, "Too Many Requests")},
            retryable=True, code="20429"),
    Failure("429 without a body", {"status": 429, "body": ""}, retryable=True, code=None),
    Failure("500 20500 server error",
            {"status": 500, "json": twilio_error(500, 20500, "Internal Server Error")},
            retryable=True, code="20500"),
    Failure("503 html from a proxy", {"status": 503, "body": "<html>Service Unavailable</html>"},
            retryable=True, code=None),
    Failure("400 as RFC 9457 problem details",
            {"status": 400, "json": {"type": "https://www.twilio.com/docs/errors/21610",
                                     "title": "Unsubscribed", "status": 400, "code": 21610}},
            retryable=False, code="21610"),
    Failure("connection refused", {"body": requests.ConnectionError("connection refused")},
            retryable=True, code=None),
    Failure("read timeout", {"body": requests.ReadTimeout("read timed out")}, retryable=True, code=None),
]  # fmt: skip


@pytest.mark.parametrize("case", FAILURES, ids=lambda c: c.label)
def test_twilio_refusals_become_typed_errors(
    case: Failure, twilio_api: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    twilio_api.add(responses.POST, MESSAGES_URL, **case.answer)
    sender = TwilioSender(ACCOUNT, TOKEN, from_number=OUR_NUMBER, whatsapp_from=WA_SENDER)
    with caplog.at_level(logging.DEBUG), pytest.raises(SendFailed) as raised:
        sender.send(case.message)
    assert raised.value.retryable is case.retryable
    assert raised.value.code == case.code
    assert NUMBER.removeprefix("+") not in str(raised.value)
    if case.code:
        assert raised.value.__cause__ is None, "Twilio's error text may quote her number"
        assert raised.value.__suppress_context__
    assert NUMBER.removeprefix("+") not in caplog.text
    assert TEXT not in caplog.text


def test_nothing_personal_is_logged_on_success(
    twilio_api: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    twilio_api.add(
        responses.POST, MESSAGES_URL, json=twilio_message() | {"to": NUMBER, "body": TEXT}, status=201
    )
    sender = TwilioSender(ACCOUNT, TOKEN, from_number=OUR_NUMBER)
    with caplog.at_level(logging.DEBUG):
        sender.send(sms())
    assert caplog.records, "the send is logged"
    assert NUMBER.removeprefix("+") not in caplog.text
    assert TEXT not in caplog.text


@pytest.mark.parametrize(
    ("label", "config", "message"),
    [
        ("no sender at all", {}, sms()),
        ("sms without an sms sender", {"whatsapp_from": WA_SENDER}, sms()),
        ("whatsapp without a whatsapp sender", {"from_number": OUR_NUMBER}, whatsapp()),
    ],
)
def test_a_missing_sender_is_a_configuration_error(
    label: str, config: dict[str, str], message: OutboundMessage, twilio_api: responses.RequestsMock
) -> None:
    with pytest.raises(ChannelConfigError):
        TwilioSender(ACCOUNT, TOKEN, **config).send(message)
    assert not twilio_api.calls


def test_an_unknown_channel_is_a_programming_error(twilio_api: responses.RequestsMock) -> None:
    with pytest.raises(ValueError, match="ussd"):
        TwilioSender(ACCOUNT, TOKEN, from_number=OUR_NUMBER).send(
            OutboundMessage(to=NUMBER, text="", channel="ussd")
        )


@pytest.mark.skipif(not SHARED_FIXTURES.is_dir(), reason="../shared/fixtures/channels not available")
def test_the_shared_reference_send_response_is_read(twilio_api: responses.RequestsMock) -> None:
    path = SHARED_FIXTURES / "extra" / "twilio_send_response_queued.json"
    if not path.is_file():
        pytest.skip("twilio_send_response_queued.json not available")
    response = json.loads(path.read_text())["response"]
    twilio_api.add(responses.POST, MESSAGES_URL, json=response["json"], status=response["http_status"])
    result = TwilioSender(ACCOUNT, TOKEN, messaging_service_sid=SERVICE).send(sms())
    assert result.provider_message_id == response["json"]["sid"]
    assert result.status == "queued"


NOW = datetime(2025, 5, 14, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("label", "last_inbound_at", "margin", "inside"),
    [
        ("never wrote to us", None, timedelta(hours=1), False),
        ("an hour ago", NOW - timedelta(hours=1), timedelta(hours=1), True),
        ("just inside the margin", NOW - timedelta(hours=22, minutes=59), timedelta(hours=1), True),
        ("at the margin", NOW - timedelta(hours=23), timedelta(hours=1), False),
        ("a day ago", NOW - timedelta(hours=24), timedelta(hours=1), False),
        ("two days ago", NOW - timedelta(days=2), timedelta(hours=1), False),
        ("no margin, a minute left", NOW - timedelta(hours=23, minutes=59), timedelta(0), True),
        ("no margin, window closed", NOW - timedelta(hours=24), timedelta(0), False),
        ("clock skew, in the future", NOW + timedelta(minutes=5), timedelta(hours=1), True),
    ],
)
def test_whatsapp_window(
    label: str, last_inbound_at: datetime | None, margin: timedelta, inside: bool
) -> None:
    assert within_whatsapp_window(last_inbound_at, NOW, margin=margin) is inside


def test_the_default_margin_is_one_hour() -> None:
    assert within_whatsapp_window(NOW - timedelta(hours=22, minutes=59), NOW)
    assert not within_whatsapp_window(NOW - timedelta(hours=23), NOW)

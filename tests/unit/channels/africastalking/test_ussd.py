"""Africa's Talking USSD hops, screens and end-of-session notices (CHANNELS.md §10)."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from channels.africastalking.sms import MAX_MESSAGE_ID
from channels.africastalking.ussd import MAX_SCREEN, MAX_SESSION_ID, parse_hop, parse_session_end, render
from channels.errors import PayloadInvalid
from channels.phone import pseudonymise

pytestmark = pytest.mark.unit

SHARED_FIXTURES = Path(__file__).resolve().parents[5] / "shared" / "fixtures" / "channels"
IDENTITY = {"pepper": "p", "default_region": "SS"}
NUMBER = "+211912345678"
KEY = pseudonymise(NUMBER, **IDENTITY)
SESSION = "ATUid_5d3b4c2bc589f4811820a7184eed4df5"
HOP = {
    "sessionId": SESSION,
    "phoneNumber": NUMBER,
    "networkCode": "65902",
    "serviceCode": "*384*1234#",
    "text": "",
}


def without(form: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in form.items() if k != name}


@dataclass
class HopCase:
    label: str
    form: dict[str, str]
    text: str = ""
    network_code: str = "65902"
    error: str = ""


HOP_CASES = [
    HopCase("first hop", HOP),
    HopCase("a menu choice", HOP | {"text": "1"}, text="1"),
    HopCase("a path", HOP | {"text": "1*2*3"}, text="1*2*3"),
    HopCase("free text with spaces", HOP | {"text": "2*Hommes armés près du marché"},
            text="2*Hommes armés près du marché"),
    HopCase("arabic free text", HOP | {"text": "3*رجال مسلحون"}, text="3*رجال مسلحون"),
    HopCase("text absent is the first hop", without(HOP, "text")),
    HopCase("no network code", without(HOP, "networkCode"), network_code=""),
    HopCase("missing sessionId", without(HOP, "sessionId"), error="field 'sessionId' required"),
    HopCase("blank sessionId", HOP | {"sessionId": " "}, error="field 'sessionId' required"),
    HopCase("oversized sessionId", HOP | {"sessionId": "ATUid_" + "f" * 200},
            error="'sessionId' longer than"),
    HopCase("missing phoneNumber", without(HOP, "phoneNumber"), error="field 'phoneNumber' required"),
    HopCase("inputs past a session's", HOP | {"text": "*".join(["99"] * 700)},
            error="field 'text' longer than 2000 characters"),
]  # fmt: skip


@pytest.mark.parametrize("case", HOP_CASES, ids=lambda c: c.label)
def test_hops(case: HopCase) -> None:
    if case.error:
        with pytest.raises(PayloadInvalid, match=case.error):
            parse_hop(case.form, **IDENTITY)
        return
    hop = parse_hop(case.form, **IDENTITY)
    assert (hop.session_id, hop.reporter_key, hop.service_code) == (SESSION, KEY, "*384*1234#")
    assert (hop.text, hop.network_code, hop.provider) == (case.text, case.network_code, "africastalking")
    assert "912345678" not in json.dumps(asdict(hop), ensure_ascii=False)


def test_a_submission_is_named_by_its_session_and_her_phone_within_a_message_id() -> None:
    longest = HOP | {"sessionId": "ATUid_" + "f" * (MAX_SESSION_ID - 6)}
    hers, another = (parse_hop(longest | {"phoneNumber": n}, **IDENTITY) for n in (NUMBER, "+211922222222"))
    assert hers.submission_id.startswith(longest["sessionId"] + ":")
    assert hers.submission_id != another.submission_id
    assert len(hers.submission_id) == MAX_MESSAGE_ID
    with pytest.raises(PayloadInvalid, match=f"'sessionId' longer than {MAX_SESSION_ID}"):
        parse_hop(longest | {"sessionId": longest["sessionId"] + "f"}, **IDENTITY)


@pytest.mark.parametrize(
    ("screen", "ends", "body"),
    [
        ("Report:\n1. Armed men\n2. Fire", False, "CON Report:\n1. Armed men\n2. Fire"),
        ("Thank you. Ref 4821", True, "END Thank you. Ref 4821"),
        ("  Menu  \r\n1. Yes \r\n2. No\n", False, "CON Menu\n1. Yes\n2. No"),
        ("", True, "END "),
    ],
)
def test_render(screen: str, ends: bool, body: str) -> None:
    assert render(screen, ends) == body


def test_an_oversized_screen_is_logged_by_length_only(caplog: pytest.LogCaptureFixture) -> None:
    screen = "Confirm: " + "x" * MAX_SCREEN
    with caplog.at_level(logging.WARNING):
        assert render(screen, False) == "CON " + screen
    assert str(len(screen)) in caplog.text
    assert "xxxx" not in caplog.text


END = {
    "date": "2024-03-01 10:15:00",
    "sessionId": SESSION,
    "serviceCode": "*384*1234#",
    "networkCode": "65902",
    "phoneNumber": NUMBER,
    "status": "Success",
    "cost": "KES 0.10",
    "durationInMillis": "12345",
    "hopsCount": "3",
    "input": "1*2*Bentiu",
    "lastAppResponse": "END Thank you. Ref 4821",
    "errorMessage": "",
    "retryCount": "0",
}
FULL = {
    "session_id": SESSION,
    "reporter_key": KEY,
    "status": "Success",
    "duration_ms": 12345,
    "hops": 3,
    "input": "1*2*Bentiu",
    "last_app_response": "END Thank you. Ref 4821",
    "error_message": "",
    "cost": "KES 0.10",
    "service_code": "*384*1234#",
    "network_code": "65902",
    "ended_at": datetime(2024, 3, 1, 10, 15, tzinfo=UTC),
    "provider": "africastalking",
}


@dataclass
class EndCase:
    label: str
    form: dict[str, str]
    fields: dict[str, Any] = field(default_factory=dict)
    abandoned: bool = False
    error: str = ""


END_CASES = [
    EndCase("success", END),
    EndCase("incomplete while waiting", END | {"status": "Incomplete", "lastAppResponse": "CON Where?"},
            {"status": "Incomplete", "last_app_response": "CON Where?"}, abandoned=True),
    EndCase("incomplete after the end", END | {"status": "Incomplete"}, {"status": "Incomplete"}),
    EndCase("failed with message", END | {"status": "Failed", "errorMessage": "Timeout"},
            {"status": "Failed", "error_message": "Timeout"}),
    EndCase("input empty", END | {"input": ""}, {"input": ""}),
    EndCase("input absent", without(END, "input"), {"input": ""}),
    EndCase("cost zero", END | {"cost": "0"}, {"cost": "0"}),
    EndCase("iso date", END | {"date": "2024-03-01T10:15:00Z"}),
    EndCase("bad numbers", END | {"durationInMillis": "4.2s", "hopsCount": "-1"},
            {"duration_ms": None, "hops": None}),
    EndCase("counts past an INTEGER", END | {"durationInMillis": "2147483648", "hopsCount": "9" * 5000},
            {"duration_ms": None, "hops": None}),
    EndCase("bad date", END | {"date": "yesterday"}, {"ended_at": None}),
    EndCase("unknown status kept", END | {"status": "Borked"}, {"status": "Borked"}),
    EndCase("only the session", {"sessionId": SESSION},
            {"reporter_key": None, "status": "", "duration_ms": None, "hops": None, "input": "",
             "last_app_response": "", "cost": "", "service_code": "", "network_code": "", "ended_at": None}),
    EndCase("inputs past a session's", END | {"input": "1" * 2001}, error="field 'input' longer than 2000"),
    EndCase("missing sessionId", without(END, "sessionId"), error="field 'sessionId' required"),
    EndCase("blank sessionId", END | {"sessionId": ""}, error="field 'sessionId' required"),
]  # fmt: skip


@pytest.mark.parametrize("case", END_CASES, ids=lambda c: c.label)
def test_session_end(case: EndCase) -> None:
    if case.error:
        with pytest.raises(PayloadInvalid, match=case.error):
            parse_session_end(case.form, **IDENTITY)
        return
    ended = parse_session_end(case.form, **IDENTITY)
    assert asdict(ended) == FULL | case.fields
    assert ended.abandoned is case.abandoned
    assert "912345678" not in json.dumps(asdict(ended), default=str)


def _shared(kind: str) -> list[dict[str, Any]]:
    if not SHARED_FIXTURES.is_dir():
        return []
    paths = sorted(SHARED_FIXTURES.glob("at_ussd_*.json")) + sorted(
        SHARED_FIXTURES.glob("extra/at_ussd_*.json")
    )
    documents = [json.loads(p.read_text()) for p in paths]
    return [d for d in documents if d.get("kind") == kind]


@pytest.mark.skipif(not SHARED_FIXTURES.is_dir(), reason="../shared/fixtures/channels not available")
@pytest.mark.parametrize("fixture", _shared("ussd_request"), ids=lambda d: str(d["name"]))
def test_shared_hops_parse(fixture: dict[str, Any]) -> None:
    params = fixture["request"]["params"]
    hop = parse_hop(params, **IDENTITY)
    assert hop.session_id == params["sessionId"]
    assert hop.text == params["text"]
    assert hop.reporter_key == pseudonymise(params["phoneNumber"], **IDENTITY)
    assert params["phoneNumber"] not in json.dumps(asdict(hop))
    if example := fixture.get("expected", {}).get("example_response"):
        verb, _, screen = example.partition(" ")
        assert render(screen, verb == "END").split("\n")[0] == example.split("\n")[0].rstrip()


@pytest.mark.skipif(not SHARED_FIXTURES.is_dir(), reason="../shared/fixtures/channels not available")
@pytest.mark.parametrize("fixture", _shared("ussd_session_end"), ids=lambda d: str(d["name"]))
def test_shared_session_ends_parse(fixture: dict[str, Any]) -> None:
    params = fixture["request"]["params"]
    ended = parse_session_end(params, **IDENTITY)
    assert (ended.session_id, ended.status, ended.input) == (
        params["sessionId"],
        params["status"],
        params["input"],
    )
    assert ended.duration_ms == int(params["durationInMillis"])
    assert ended.hops == int(params["hopsCount"])
    assert ended.ended_at is not None
    assert ended.abandoned is (
        params["status"] == "Incomplete" and params["lastAppResponse"].startswith("CON")
    )
    assert params["phoneNumber"] not in json.dumps(asdict(ended), default=str)

"""Africa's Talking inbound SMS and delivery reports, table-driven over CHANNELS.md §7-§8 formats."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from channels.africastalking.sms import (
    STATUS_MAPPING,
    is_opt_out,
    parse_at_date,
    parse_delivery_report,
    parse_message,
    salvage_message,
)
from channels.base import DELIVERY_STATUSES, ParsedInbound
from channels.errors import PayloadInvalid
from channels.phone import pseudonymise

pytestmark = pytest.mark.unit

SHARED_FIXTURES = Path(__file__).resolve().parents[5] / "shared" / "fixtures" / "channels"
IDENTITY = {"pepper": "p", "default_region": "SS"}
NUMBER = "+211912345678"
SMS = {
    "from": NUMBER,
    "to": "21512",
    "text": "SXV Bentiu",
    "date": "2024-03-01T10:15:00Z",
    "id": "ec9adc86-51d5-4bc8-8eb0-d8ab0bb53dc3",
    "linkId": "03090445075804249226",
    "networkCode": "65902",
}
SENT_AT = "2024-03-01T10:15:00+00:00"
FRENCH = "Hommes armés près de l’école, ça chauffe"
ARABIC = "رجال مسلحون قرب السوق"


def without(name: str) -> dict[str, str]:
    return {k: v for k, v in SMS.items() if k != name}


@dataclass
class Case:
    label: str
    form: dict[str, str]
    content: dict[str, Any] = field(default_factory=dict)
    error: str = ""


CASES = [
    Case("iso date", SMS, content={"text": "SXV Bentiu", "sent_at": SENT_AT}),
    Case("space date without zone is utc", SMS | {"date": "2024-03-01 10:15:00"},
         content={"text": "SXV Bentiu", "sent_at": SENT_AT}),
    Case("no date at all", without("date"), content={"text": "SXV Bentiu"}),
    Case("french accents", SMS | {"text": FRENCH}, content={"text": FRENCH, "sent_at": SENT_AT}),
    Case("arabic", SMS | {"text": ARABIC}, content={"text": ARABIC, "sent_at": SENT_AT}),
    Case("text kept as sent", SMS | {"text": " 2 Rubkona "},
         content={"text": " 2 Rubkona ", "sent_at": SENT_AT}),
    Case("national number in the default region", SMS | {"from": "0912345678"},
         content={"text": "SXV Bentiu", "sent_at": SENT_AT}),
    Case("alphanumeric sender", SMS | {"from": "MTN"},
         content={"text": "SXV Bentiu", "sent_at": SENT_AT, "replyable": False}),
    Case("short code sender", SMS | {"from": "21512"},
         content={"text": "SXV Bentiu", "sent_at": SENT_AT, "replyable": False}),
    Case("missing id", without("id"), error="field 'id' required"),
    Case("blank id", SMS | {"id": "  "}, error="field 'id' required"),
    Case("oversized id", SMS | {"id": "x" * 200}, error="'id' longer than"),
    Case("missing from", without("from"), error="field 'from' required"),
    Case("blank from", SMS | {"from": ""}, error="field 'from' required"),
    Case("missing text", without("text"), error="field 'text' required"),
    Case("blank text", SMS | {"text": " \n"}, error="field 'text' required"),
    Case("truncated date", SMS | {"date": "2024-03-01T10:15"}, error="field 'date'"),
    Case("day-first date", SMS | {"date": "01/03/2024 10:15:00"}, error="field 'date'"),
    Case("offset date", SMS | {"date": "2024-03-01T10:15:00+03:00"}, error="field 'date'"),
    Case("garbage body", {"empty": ""}, error="field 'id' required"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
def test_inbound_payloads(case: Case) -> None:
    if case.error:
        with pytest.raises(PayloadInvalid, match=case.error):
            parse_message(case.form, **IDENTITY)
        return
    parsed = parse_message(case.form, **IDENTITY)
    assert (parsed.provider, parsed.channel) == ("africastalking", "sms")
    assert parsed.provider_message_id == case.form["id"]
    assert parsed.content == case.content
    assert parsed.reporter_key == pseudonymise(case.form["from"], **IDENTITY)
    assert parsed.payload["from"] == parsed.reporter_key
    assert parsed.payload["linkId"] == SMS["linkId"]
    assert parsed.payload["networkCode"] == SMS["networkCode"]
    assert "912345678" not in json.dumps(parsed.payload, ensure_ascii=False), "no raw number may survive"


def test_a_national_and_an_international_number_are_one_reporter() -> None:
    national = parse_message(SMS | {"from": "0912345678"}, **IDENTITY)
    assert national.reporter_key == parse_message(SMS, **IDENTITY).reporter_key


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2017-05-03T06:04:45Z", datetime(2017, 5, 3, 6, 4, 45, tzinfo=UTC)),
        ("2017-05-03 06:04:45", datetime(2017, 5, 3, 6, 4, 45, tzinfo=UTC)),
        ("2017-05-03T06:04", None),
        ("", None),
    ],
)
def test_both_at_date_forms_and_nothing_else(raw: str, expected: datetime | None) -> None:
    assert parse_at_date(raw) == expected


def test_a_malformed_message_is_salvaged_without_the_number() -> None:
    form = SMS | {"date": "2024-03-01T10:15"}
    first = salvage_message(form, "field 'date' malformed", **IDENTITY)
    again = salvage_message(form, "field 'date' malformed", **IDENTITY)
    assert first.provider_message_id == again.provider_message_id  # a retried callback is a duplicate
    assert first.provider_message_id.startswith("invalid-")
    assert first.content == {"text": "SXV Bentiu", "error": "field 'date' malformed"}
    assert first.reporter_key == first.payload["from"] == pseudonymise(NUMBER, **IDENTITY)
    assert "912345678" not in json.dumps(first.payload)


def test_a_message_without_sender_is_salvaged_with_no_key() -> None:
    salvaged = salvage_message(without("from"), "field 'from' required", **IDENTITY)
    assert salvaged.reporter_key is None
    assert "from" not in salvaged.payload


REPORT = {
    "id": "ATXid_520e732ea1191c1f03a7d9bea3a91006",
    "status": "Success",
    "phoneNumber": NUMBER,
    "networkCode": "65902",
    "retryCount": "0",
}


@dataclass
class ReportCase:
    label: str
    form: dict[str, str]
    status: str | None = None
    error_code: str | None = None
    error: str = ""


REPORT_CASES = [
    *(ReportCase(f"status {raw}", REPORT | {"status": raw}, status=ours)
      for raw, ours in STATUS_MAPPING.items()),
    ReportCase("failed with reason", REPORT | {"status": "Failed", "failureReason": "UserInBlackList"},
               status="failed", error_code="UserInBlackList"),
    ReportCase("rejected with reason", REPORT | {"status": "Rejected", "failureReason": "InsufficientCredit"},
               status="failed", error_code="InsufficientCredit"),
    ReportCase("blank reason", REPORT | {"status": "Failed", "failureReason": ""}, status="failed"),
    ReportCase("minimal report", {"id": REPORT["id"], "status": "Success"}, status="delivered"),
    ReportCase("unknown status", REPORT | {"status": "Borked"}),
    ReportCase("lower-case status is unknown", REPORT | {"status": "success"}),
    ReportCase("missing status", {k: v for k, v in REPORT.items() if k != "status"}),
    ReportCase("missing id", {k: v for k, v in REPORT.items() if k != "id"}, error="field 'id' required"),
    ReportCase("blank id", REPORT | {"id": " "}, error="field 'id' required"),
]  # fmt: skip


@pytest.mark.parametrize("case", REPORT_CASES, ids=lambda c: c.label)
def test_delivery_reports(case: ReportCase) -> None:
    if case.error:
        with pytest.raises(PayloadInvalid, match=case.error):
            parse_delivery_report(case.form)
        return
    update = parse_delivery_report(case.form)
    if case.status is None:
        assert update is None
        return
    assert update is not None
    assert (update.provider, update.provider_message_id) == ("africastalking", REPORT["id"])
    assert (update.status, update.error_code) == (case.status, case.error_code)
    assert "phoneNumber" not in update.payload
    assert "912345678" not in json.dumps(update.payload)


def test_every_mapped_status_is_a_delivery_status() -> None:
    assert set(STATUS_MAPPING.values()) <= set(DELIVERY_STATUSES)


def test_a_blacklisted_recipient_is_an_opt_out() -> None:
    blocked = parse_delivery_report(REPORT | {"status": "Failed", "failureReason": "UserInBlackList"})
    credit = parse_delivery_report(REPORT | {"status": "Failed", "failureReason": "InsufficientCredit"})
    assert blocked is not None
    assert credit is not None
    assert is_opt_out(blocked)
    assert not is_opt_out(credit)


def _shared(kind: str) -> list[dict[str, Any]]:
    if not SHARED_FIXTURES.is_dir():
        return []
    paths = sorted(SHARED_FIXTURES.glob("at_*.json")) + sorted(SHARED_FIXTURES.glob("extra/at_*.json"))
    documents = [json.loads(p.read_text()) for p in paths]
    return [d for d in documents if d.get("kind") == kind]


def _parse_or_salvage(params: dict[str, str]) -> tuple[ParsedInbound, str]:
    try:
        return parse_message(params, **IDENTITY), ""
    except PayloadInvalid as exc:
        return salvage_message(params, str(exc), **IDENTITY), str(exc)


@pytest.mark.skipif(not SHARED_FIXTURES.is_dir(), reason="../shared/fixtures/channels not available")
@pytest.mark.parametrize("fixture", _shared("inbound"), ids=lambda d: str(d["name"]))
def test_shared_inbound_payloads_parse_or_fail_precisely(fixture: dict[str, Any]) -> None:
    params = fixture["request"]["params"]
    expected = fixture.get("expected", {})
    parsed, error = _parse_or_salvage(params)
    if error:
        assert expected.get("http_status") != 200
        assert error.startswith("field '")
        assert parsed.content["error"] == error
    else:
        assert parsed.reporter_key
        if "received_at" in expected:
            received = datetime.fromisoformat(expected["received_at"].replace("Z", "+00:00"))
            assert parsed.content["sent_at"] == received.isoformat()
        if "text" in expected:
            assert parsed.content["text"] == expected["text"]
    if params.get("from"):
        assert params["from"] not in json.dumps(parsed.payload, ensure_ascii=False)


@pytest.mark.skipif(not SHARED_FIXTURES.is_dir(), reason="../shared/fixtures/channels not available")
@pytest.mark.parametrize("fixture", _shared("delivery_report"), ids=lambda d: str(d["name"]))
def test_shared_delivery_reports_map_as_expected(fixture: dict[str, Any]) -> None:
    params = fixture["request"]["params"]
    update = parse_delivery_report(params)
    expected = fixture.get("expected", {})
    if "status" not in expected:
        assert update is None  # courier refuses these; Dalili logs them and answers 200
        return
    assert update is not None
    assert update.status == expected["status"]
    assert update.error_code == expected.get("reason")
    assert "phoneNumber" not in update.payload

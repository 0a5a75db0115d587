"""Every provider handler in channels' registry, driven by one table over the shared reference payloads
(C14, courier's handlertest): a new provider is a handler in the registry and rows here."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from twilio.request_validator import RequestValidator

from channels.errors import ChannelError, PayloadInvalid
from channels.handlers import Handler, InboundRoute, Route, StatusRoute, UssdEndRoute, UssdHopRoute
from channels.registry import HANDLERS

pytestmark = pytest.mark.unit

SHARED_FIXTURES = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "channels"
IDENTITY = {"pepper": "p", "default_region": "SS"}
AT_TOKEN = "at-token"
ROUTES: dict[str, tuple[Handler, Route]] = {
    f"{handler.provider}/{route.path}": (handler, route) for handler in HANDLERS for route in handler.routes
}

STABLE_PATHS = {
    "twilio/sms",
    "twilio/status",
    "twilio/voice",
    "africastalking/sms",
    "africastalking/delivery",
    "africastalking/ussd",
    "africastalking/ussd/events",
    "africastalking/voice",
}
"""Configured at the providers by every deployment (README): a route never moves."""


@dataclass(frozen=True)
class Served:
    route: str
    her_address: str
    """The field that holds her number: it must not survive parsing."""


FIXTURE_ROUTES: dict[tuple[str, str], Served] = {
    ("twilio_sms", "inbound"): Served("twilio/sms", "From"),
    ("twilio_whatsapp", "inbound"): Served("twilio/sms", "From"),
    ("twilio_sms", "status_callback"): Served("twilio/status", "To"),
    ("twilio_whatsapp", "status_callback"): Served("twilio/status", "To"),
    ("at_sms", "inbound"): Served("africastalking/sms", "from"),
    ("at_sms", "delivery_report"): Served("africastalking/delivery", "phoneNumber"),
    ("at_ussd", "ussd_request"): Served("africastalking/ussd", "phoneNumber"),
    ("at_ussd", "ussd_session_end"): Served("africastalking/ussd/events", "phoneNumber"),
}
"""Which route serves each (``channel``, ``kind``) of the reference payloads."""

NOT_SERVED = {("at_sms", "optout_notification"), ("at_sms", "subscription_notification")}
"""Callbacks Dalili does not subscribe to (CHANNELS.md §8)."""


@dataclass(frozen=True)
class Secrets:
    public_url: str = "https://reports.example.org"
    twilio_auth_token: str = ""
    at_webhook_token: str = AT_TOKEN
    at_allowed_networks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Request:
    form: Mapping[str, str]
    headers: dict[str, str]
    path: str = "/"
    mimetype: str = "application/x-www-form-urlencoded"
    query_string: bytes = b""
    args: Mapping[str, str] = field(default_factory=lambda: {"token": AT_TOKEN})
    remote_addr: str | None = "127.0.0.1"


@dataclass
class Case:
    """One request to one route, as the provider sends it."""

    label: str
    route: str
    form: dict[str, str]
    her_address: str
    error: str | None = ""
    """"" when it must parse; what PayloadInvalid says when it must be refused; None when either is
    right (a reference payload Dalili's documentation does not rule on), as long as a refusal is a
    PayloadInvalid."""
    headers: dict[str, str] = field(default_factory=dict)
    path: str = ""
    content_type: str = "application/x-www-form-urlencoded"
    twilio_token: str = ""


TWILIO_TOKEN = "12345"


def twilio_signed(route: str, form: dict[str, str]) -> dict[str, str]:
    url = f"{Secrets.public_url}/webhooks/{route}"
    return {"X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(url, form)}


TWILIO_CALL = {"CallSid": "CA" + "e" * 32, "From": "+211912345678", "To": "+211920000000"}
AT_CALL = {
    "isActive": "1",
    "sessionId": "ATVId_5d3b",
    "direction": "Inbound",
    "callerNumber": "+211912345678",
}

CASES = [
    Case("twilio beep", "twilio/voice", TWILIO_CALL, "From", twilio_token=TWILIO_TOKEN,
         headers=twilio_signed("twilio/voice", TWILIO_CALL)),
    Case("twilio beep without CallSid", "twilio/voice", {"From": "+211912345678"}, "From",
         error="field 'CallSid' required", twilio_token=TWILIO_TOKEN,
         headers=twilio_signed("twilio/voice", {"From": "+211912345678"})),
    Case("africastalking beep", "africastalking/voice", AT_CALL, "callerNumber"),
    Case("africastalking end of the beep", "africastalking/voice", AT_CALL | {"isActive": "0"},
         "callerNumber"),
    Case("africastalking beep without isActive", "africastalking/voice",
         {k: v for k, v in AT_CALL.items() if k != "isActive"}, "callerNumber",
         error="field 'isActive' required"),
]  # fmt: skip
"""Routes the reference payloads do not reach."""


def _fixture_cases() -> list[Case]:
    if not SHARED_FIXTURES.is_dir():
        return []
    cases = []
    for path in sorted(SHARED_FIXTURES.glob("*.json")) + sorted(SHARED_FIXTURES.glob("extra/*.json")):
        document = json.loads(path.read_text())
        served = FIXTURE_ROUTES.get((document["channel"], document["kind"]))
        if served is None:
            continue
        request, expected = document["request"], document.get("expected", {})
        signature = request.get("signature_example", {})
        verdict = {200: "", 400: "field '"}.get(expected.get("http_status"))
        cases.append(
            Case(
                document["name"],
                served.route,
                request["params"],
                served.her_address,
                error=verdict,
                headers={"X-Twilio-Signature": signature["X-Twilio-Signature"]} if signature else {},
                path=urlsplit(signature.get("url", "")).path,
                content_type=request["content_type"],
                twilio_token=signature.get("auth_token", ""),
            )
        )
    return cases


def _parse(route: Route, form: Mapping[str, str]) -> Any:
    match route:
        case InboundRoute():
            return route.parse(form, **IDENTITY)
        case StatusRoute():
            return route.parse(form)
        case UssdHopRoute() | UssdEndRoute():
            return route.parse(form, **IDENTITY)


def _parse_or_salvage(route: Route, form: Mapping[str, str]) -> tuple[Any, str]:
    """What the route makes of the form, and why it refused it ("" when it did not); a refused message
    that carries words comes back salvaged, as nothing she sent is dropped."""
    try:
        return _parse(route, form), ""
    except PayloadInvalid as exc:
        if isinstance(route, InboundRoute) and route.salvage and any(form.get(w) for w in route.words):
            return route.salvage(form, str(exc), **IDENTITY), str(exc)
        return None, str(exc)


def test_the_registry_serves_exactly_the_stable_paths() -> None:
    assert set(ROUTES) == STABLE_PATHS
    assert len(ROUTES) == sum(len(handler.routes) for handler in HANDLERS)


def test_every_route_is_driven_by_a_payload() -> None:
    routes = {served.route for served in FIXTURE_ROUTES.values()} | {case.route for case in CASES}
    assert routes == set(ROUTES)


@pytest.mark.skipif(not SHARED_FIXTURES.is_dir(), reason="../shared/fixtures/channels not available")
def test_every_reference_request_has_a_route_or_is_declared_unserved() -> None:
    kinds = set()
    for path in sorted(SHARED_FIXTURES.glob("*.json")) + sorted(SHARED_FIXTURES.glob("extra/*.json")):
        document = json.loads(path.read_text())
        if "request" in document:
            kinds.add((document["channel"], document["kind"]))
    assert kinds - set(FIXTURE_ROUTES) == NOT_SERVED


@pytest.mark.parametrize("handler", HANDLERS, ids=lambda h: h.provider)
def test_a_request_without_credentials_is_refused(handler: Handler) -> None:
    request = Request(form={}, headers={}, args={})
    with pytest.raises(ChannelError) as refused:
        handler.authenticate(request, Secrets(twilio_auth_token="token"))
    assert refused.value.status in (401, 403)


@pytest.mark.parametrize("case", CASES + _fixture_cases(), ids=lambda c: c.label)
def test_each_route_authenticates_and_parses_or_refuses_precisely(case: Case) -> None:
    handler, route = ROUTES[case.route]
    request = Request(
        form=case.form, headers=case.headers, path=case.path or "/webhooks/" + case.route,
        mimetype=case.content_type,
    )  # fmt: skip
    handler.authenticate(request, Secrets(twilio_auth_token=case.twilio_token))
    parsed, error = _parse_or_salvage(route, case.form)
    if case.error is not None:
        assert error.startswith(case.error) if case.error else not error, error
    if error and parsed is not None:
        assert parsed.content["error"] == error
    number = case.form.get(case.her_address, "").removeprefix("whatsapp:")
    if number:
        assert number not in repr(parsed), "her number must not survive parsing"

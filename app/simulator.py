"""The phone simulator: play a monitor; each action is a real-shaped webhook to this app, marked training.

Registered only when ``settings.training`` is true, and open only to a trainer (``TRAIN``).
Nothing here writes to the database: the simulator
posts what Twilio or Africa's Talking would post (signed, or with the deployment token) through the app's
own webhook routes, with ``?mode=training``, so the message takes the real path and the training flag
follows it to the report and the (recorded, never sent) reply.
"""

from __future__ import annotations

import json
import logging
import math
import re
import secrets
import urllib.parse
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import phonenumbers
from flask import Blueprint, Response, current_app, g, render_template, request
from redis.exceptions import RedisError
from twilio.request_validator import SIGNATURE_HEADER, RequestValidator
from werkzeug.exceptions import NotFound, UnsupportedMediaType
from werkzeug.test import TestResponse

from alerts.accounts.policy import TRAIN, require
from alerts.errors import InvalidCredentials, InvalidValue
from app import current_services
from app.infra.senders import recorded_key
from app.web.access import signed_in_viewer
from channels.phone import WHATSAPP_PREFIX, canonical_address, pseudonymise
from channels.twilio.inbound import signed_url
from config.settings import Settings

logger = logging.getLogger(__name__)

bp = Blueprint("simulator", __name__, url_prefix="/simulator")

TRAINING_QUERY = "mode=training"
DEFAULT_PHONE = "+211912345678"
"""A made-up South Sudanese mobile number the page starts with."""
SERVICE_CODE = "*384*1#"
SANDBOX_NETWORK = "99999"
"""Africa's Talking's ``networkCode`` for its sandbox (CHANNELS.md §10.1)."""
AT_SHORT_CODE = "21512"
AT_VOICE_NUMBER = "+211920000001"
TWILIO_NUMBER = "+211920000000"
TWILIO_WHATSAPP = "whatsapp:+14155238886"
"""Twilio's WhatsApp sandbox sender, used when no WhatsApp sender is configured."""
TWILIO_API_VERSION = "2010-04-01"
MAX_PHONE = 40
MAX_TEXT = 1600
"""Twilio's longest message body; more is refused here rather than by the webhook's size limit."""
SESSION_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

WEBHOOKS = {
    "twilio_sms": "/webhooks/twilio/sms",
    "twilio_voice": "/webhooks/twilio/voice",
    "at_sms": "/webhooks/africastalking/sms",
    "at_ussd": "/webhooks/africastalking/ussd",
    "at_ussd_events": "/webhooks/africastalking/ussd/events",
    "at_voice": "/webhooks/africastalking/voice",
}
"""The paths providers are configured with; stable by design (app/webhooks)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """One thing the simulated monitor does, as the page asked for it."""

    kind: str
    provider: str
    phone: str
    """As she would be known to the provider: E.164 when it reads as a phone number."""
    text: str = ""
    """The message, or for USSD every input of the session so far joined by ``*``."""
    location: tuple[float, float] | None = None
    """A WhatsApp pin as (latitude, longitude)."""
    session: str = ""
    screen: str = ""
    """For a USSD end: the last ``CON``/``END`` answer she saw."""
    duration_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Sent:
    """What the provider would have got back from the webhook."""

    status: int
    response: str
    session: str | None = None


# -- provider payloads (pure) ----------------------------------------------------------------------


def _region(address: str, default_region: str) -> str:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(address, default_region)) or ""
    except phonenumbers.NumberParseException:
        return ""


def twilio_message_form(action: Action, settings: Settings, *, whatsapp: bool) -> dict[str, str]:
    """Twilio's inbound SMS or WhatsApp form with the classic parameter set (CHANNELS.md §1, §6)."""
    sid = "SM" + secrets.token_hex(16)
    form = {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "SmsStatus": "received",
        "AccountSid": settings.twilio_account_sid or "AC" + "0" * 32,
        "Body": action.text,
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": TWILIO_API_VERSION,
    }
    if whatsapp:
        form |= {
            "From": WHATSAPP_PREFIX + action.phone,
            "To": settings.twilio_whatsapp_from or TWILIO_WHATSAPP,
            "WaId": action.phone.lstrip("+"),
            "ProfileName": "",
            "MessageType": "location" if action.location else "text",
        }
        if action.location:
            lat, lon = action.location
            form |= {"Latitude": repr(lat), "Longitude": repr(lon)}
        return form
    country = _region(action.phone, settings.default_country)
    return form | {
        "From": action.phone,
        "FromCity": "",
        "FromState": "",
        "FromZip": "",
        "FromCountry": country,
        "To": settings.twilio_from_number or TWILIO_NUMBER,
        "ToCity": "",
        "ToState": "",
        "ToZip": "",
        "ToCountry": settings.default_country,
    }


def twilio_call_form(action: Action, settings: Settings) -> dict[str, str]:
    """Twilio's incoming-call webhook while the phone rings."""
    to = settings.twilio_from_number or TWILIO_NUMBER
    country = _region(action.phone, settings.default_country)
    form = {
        "CallSid": "CA" + secrets.token_hex(16),
        "AccountSid": settings.twilio_account_sid or "AC" + "0" * 32,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": TWILIO_API_VERSION,
        "From": action.phone,
        "Caller": action.phone,
        "To": to,
        "Called": to,
    }
    for prefix, place in (("From", country), ("Caller", country)):
        form |= {f"{prefix}City": "", f"{prefix}State": "", f"{prefix}Zip": "", f"{prefix}Country": place}
    for prefix in ("To", "Called"):
        form |= {
            f"{prefix}City": "",
            f"{prefix}State": "",
            f"{prefix}Zip": "",
            f"{prefix}Country": settings.default_country,
        }
    return form


def _at_date() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def at_sms_form(action: Action) -> dict[str, str]:
    """Africa's Talking's incoming-message callback (CHANNELS.md §7)."""
    return {
        "id": str(uuid.uuid4()),
        "from": action.phone,
        "to": AT_SHORT_CODE,
        "text": action.text,
        "date": _at_date(),
        "linkId": str(secrets.randbelow(10**20)).zfill(20),
        "networkCode": SANDBOX_NETWORK,
    }


def at_ussd_form(action: Action, session: str) -> dict[str, str]:
    """One USSD hop; ``text`` holds every input of the session so far (CHANNELS.md §10.1)."""
    return {
        "sessionId": session,
        "phoneNumber": action.phone,
        "serviceCode": SERVICE_CODE,
        "networkCode": SANDBOX_NETWORK,
        "text": action.text,
    }


def at_session_end_form(action: Action, last_screen: str) -> dict[str, str]:
    """The end-of-session notice; ``Incomplete`` when she left a ``CON`` screen (CHANNELS.md §10.4)."""
    hops = len(action.text.split("*")) + 1 if action.text else 1
    form = {
        "date": _at_date(),
        "sessionId": action.session,
        "serviceCode": SERVICE_CODE,
        "networkCode": SANDBOX_NETWORK,
        "phoneNumber": action.phone,
        "status": "Incomplete" if last_screen.startswith("CON") else "Success",
        "cost": "0",
        "hopsCount": str(hops),
        "input": action.text,
        "lastAppResponse": last_screen,
        "errorMessage": "",
    }
    if action.duration_ms is not None:
        form["durationInMillis"] = str(action.duration_ms)
    return form


def at_call_forms(action: Action) -> tuple[dict[str, str], dict[str, str]]:
    """The two voice callbacks of a rejected call: while it rings, and when it is over."""
    ringing = {
        "sessionId": "ATVId_" + secrets.token_hex(16),
        "isActive": "1",
        "direction": "Inbound",
        "callerNumber": action.phone,
        "destinationNumber": AT_VOICE_NUMBER,
        "callStartTime": _at_date(),
    }
    over = ringing | {"isActive": "0", "durationInSeconds": "0", "currencyCode": "USD", "amount": "0"}
    return ringing, over


# -- dispatch through the running app --------------------------------------------------------------


def _post(path: str, query: str, form: Mapping[str, str], headers: dict[str, str]) -> TestResponse:
    # In-process, so the simulator needs no network and the request takes the app's real route.
    client = current_app.test_client(use_cookies=False)
    return client.post(f"{path}?{query}", data=dict(form), headers={"X-Request-Id": g.request_id} | headers)


def _to_twilio(path: str, form: Mapping[str, str], settings: Settings) -> Sent:
    url = signed_url(settings.public_url, path, TRAINING_QUERY)
    signature = RequestValidator(settings.twilio_auth_token).compute_signature(url, dict(form))
    answer = _post(path, TRAINING_QUERY, form, {SIGNATURE_HEADER: signature, "User-Agent": "TwilioProxy/1.1"})
    return Sent(answer.status_code, answer.get_data(as_text=True))


def _to_africastalking(path: str, form: Mapping[str, str], settings: Settings) -> Sent:
    query = TRAINING_QUERY + "&" + urllib.parse.urlencode({"token": settings.at_webhook_token})
    answer = _post(path, query, form, {})
    return Sent(answer.status_code, answer.get_data(as_text=True))


def _twilio_sms(action: Action, settings: Settings) -> Sent:
    return _to_twilio(WEBHOOKS["twilio_sms"], twilio_message_form(action, settings, whatsapp=False), settings)


def _twilio_whatsapp(action: Action, settings: Settings) -> Sent:
    return _to_twilio(WEBHOOKS["twilio_sms"], twilio_message_form(action, settings, whatsapp=True), settings)


def _twilio_call(action: Action, settings: Settings) -> Sent:
    return _to_twilio(WEBHOOKS["twilio_voice"], twilio_call_form(action, settings), settings)


def _at_sms(action: Action, settings: Settings) -> Sent:
    return _to_africastalking(WEBHOOKS["at_sms"], at_sms_form(action), settings)


def _at_ussd(action: Action, settings: Settings) -> Sent:
    session = action.session or "ATUid_" + secrets.token_hex(16)
    hop = _to_africastalking(WEBHOOKS["at_ussd"], at_ussd_form(action, session), settings)
    if hop.status == 200 and hop.response.startswith("END"):
        # AT tells the app that every session ended, including the ones the app closed itself.
        ended = at_session_end_form(replace(action, session=session), hop.response)
        _to_africastalking(WEBHOOKS["at_ussd_events"], ended, settings)
    return Sent(hop.status, hop.response, session)


def _at_ussd_end(action: Action, settings: Settings) -> Sent:
    if not action.session:
        raise InvalidValue("field 'session' required to end a USSD session")
    form = at_session_end_form(action, action.screen)
    sent = _to_africastalking(WEBHOOKS["at_ussd_events"], form, settings)
    return Sent(sent.status, sent.response, action.session)


def _at_call(action: Action, settings: Settings) -> Sent:
    ringing, over = at_call_forms(action)
    answer = _to_africastalking(WEBHOOKS["at_voice"], ringing, settings)
    if answer.status == 200:
        _to_africastalking(WEBHOOKS["at_voice"], over, settings)
    return answer


SIMULATIONS: dict[tuple[str, str], Callable[[Action, Settings], Sent]] = {
    ("sms", "twilio"): _twilio_sms,
    ("sms", "africastalking"): _at_sms,
    ("whatsapp", "twilio"): _twilio_whatsapp,
    ("ussd", "africastalking"): _at_ussd,
    ("ussd_end", "africastalking"): _at_ussd_end,
    ("missed_call", "twilio"): _twilio_call,
    ("missed_call", "africastalking"): _at_call,
}
"""What each (kind, provider) posts; the first provider listed for a kind is its default."""


# -- reading the page's request --------------------------------------------------------------------


def _string(body: Mapping[str, Any], name: str, limit: int) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidValue(f"field '{name}' must be a string")
    if len(value) > limit:
        raise InvalidValue(f"field '{name}' longer than {limit} characters")
    return value


def _degrees(body: Mapping[str, Any], name: str, bound: float) -> float | None:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidValue(f"field '{name}' must be decimal degrees") from None
    if not math.isfinite(number) or not -bound <= number <= bound:
        raise InvalidValue(f"field '{name}' must be between -{bound:g} and {bound:g}")
    return number


def _location(body: Mapping[str, Any]) -> tuple[float, float] | None:
    lat, lon = _degrees(body, "lat", 90), _degrees(body, "lon", 180)
    if (lat is None) != (lon is None):
        raise InvalidValue("give both 'lat' and 'lon', or neither")
    return (lat, lon) if lat is not None and lon is not None else None


def _phone(body: Mapping[str, Any], default_region: str) -> str:
    raw = _string(body, "phone", MAX_PHONE).strip().removeprefix(WHATSAPP_PREFIX)
    if not raw or not raw.isprintable():
        raise InvalidValue("field 'phone' required: the number she sends from")
    # Providers deliver numbers in E.164, whatever she dialled or the trainer typed.
    return canonical_address(raw, default_region)


def read_action(body: Mapping[str, Any], settings: Settings) -> Action:
    """Validate the page's JSON into an Action; InvalidValue (400) names the first bad field."""
    kind = _string(body, "kind", 20)
    providers = [provider for k, provider in SIMULATIONS if k == kind]
    if not providers:
        raise InvalidValue(f"field 'kind' must be one of {', '.join(sorted({k for k, _ in SIMULATIONS}))}")
    provider = _string(body, "provider", 20) or providers[0]
    if provider not in providers:
        raise InvalidValue(f"{kind} goes through {' or '.join(providers)}, not {provider!r}")
    session = _string(body, "session", 64)
    if session and not SESSION_ID.fullmatch(session):
        raise InvalidValue("field 'session' must be letters, digits, '_', '.' or '-'")
    duration = body.get("duration_ms")
    if duration is not None and (not isinstance(duration, int) or isinstance(duration, bool) or duration < 0):
        raise InvalidValue("field 'duration_ms' must be a whole number of milliseconds")
    return Action(
        kind=kind,
        provider=provider,
        phone=_phone(body, settings.default_country),
        text=_string(body, "text", MAX_TEXT),
        location=_location(body),
        session=session,
        screen=_string(body, "screen", MAX_TEXT),
        duration_ms=duration,
    )


def _json_body() -> dict[str, Any]:
    # JSON only: a cross-site form cannot send it without a CORS preflight this app never grants.
    if not request.is_json:
        raise UnsupportedMediaType("send the action as application/json")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidValue("the body must be a JSON object")
    return body


def recorded_replies(phone: str) -> list[dict[str, str]]:
    """The replies Dalili recorded for this number instead of sending them, oldest first."""
    services = current_services()
    settings = services.settings
    key = recorded_key(pseudonymise(phone, pepper=settings.pepper, default_region=settings.default_country))
    try:
        raw = services.queues.connection.lrange(key, 0, -1)
    except RedisError as exc:
        logger.warning("recorded replies unavailable: %s", type(exc).__name__)
        return []
    return [json.loads(item) for item in raw]


# -- views -----------------------------------------------------------------------------------------


@bp.before_request
def trainers_in_training_only() -> None:
    # Belt and braces: the factory registers this blueprint only in training mode.
    if not current_services().settings.training:
        raise NotFound()
    viewer = signed_in_viewer()
    if viewer is None:  # the page's visitor is sent to sign in, and brought back
        raise InvalidCredentials("sign in as an administrator or a network coordinator to use the simulator")
    require(viewer, TRAIN, "run training sessions")


@bp.after_request
def confine(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
def page() -> str:
    """The simulated phone and its log."""
    return render_template("simulator.html", default_phone=DEFAULT_PHONE, service_code=SERVICE_CODE)


@bp.post("/send")
def send() -> dict[str, Any]:
    """Post one action as its provider's webhook; answer with the webhook's reply and her replies."""
    settings = current_services().settings
    action = read_action(_json_body(), settings)
    sent = SIMULATIONS[action.kind, action.provider](action, settings)
    logger.info("simulated %s through %s: webhook answered %s", action.kind, action.provider, sent.status)
    answer: dict[str, Any] = {
        "status": sent.status,
        "response": sent.response,
        "replies": recorded_replies(action.phone),
    }
    if sent.session is not None:
        answer["session"] = sent.session
    return answer


@bp.get("/replies")
def replies() -> dict[str, Any]:
    """Replies recorded for a number so far; the page polls while the worker runs the job."""
    phone = _phone(request.args, current_services().settings.default_country)
    return {"replies": recorded_replies(phone)}

"""The soak's load: an open-loop, fixed-rate mix of provider webhooks, every request recorded.

Open loop: message i is due at ``t0 + i / rate`` whatever the server does, so a slow answer never
slows the offered load (a closed loop would hide the very stalls a soak looks for). Each message
has its own provider id; a share of them is sent again later with the same id, as a provider
retries, and must still be stored once. A USSD session counts as one message, acknowledged by its
END screen; its other hops are extra requests. The walk reads each screen it is shown (a monitor
whose profile is cached is offered her home area, a new phone is not), so it stays on the real
menu of channels/ussd_menu.py whether or not Redis still holds the profile.
"""

from __future__ import annotations

import asyncio
import random
import time
import traceback
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from twilio.request_validator import RequestValidator

from alerts.triage.taxonomy import load_taxonomy
from bench.intake.run import CATEGORIES, TOWNS, WHAT
from channels.ussd_menu import ELECTION, SEND, MenuText

TOKEN = "bench-token"
TWILIO = "/webhooks/twilio/sms"
AT_SMS = f"/webhooks/africastalking/sms?token={TOKEN}"
USSD = f"/webhooks/africastalking/ussd?token={TOKEN}"
FORM = "application/x-www-form-urlencoded"

MIX = {"sms": 50, "whatsapp": 20, "at-sms": 15, "ussd": 15}
"""Percent of messages per channel: Twilio SMS, Twilio WhatsApp, Africa's Talking SMS, USSD sessions."""
REPLAY_SHARE = 0.05
REPLAY_DELAY = (0.5, 5.0)
"""Seconds after its first answer that a replayed message is sent again."""
THINK = (0.1, 0.5)
"""Seconds a USSD caller takes between two screens (real callers take longer; the load is the same)."""
MONITOR_SESSIONS = 0.5
"""Share of USSD sessions from registered monitors (offered their home area)."""
OTHER_PLACE = 1 / 3
"""Share of the sessions offered a place that choose "Other place" and type a town."""
MAX_HOPS = 8
REQUEST_TIMEOUT = 30.0
CONNECTIONS = 256
KEEPALIVE_SECONDS = 1.0
"""Below gunicorn's keep-alive (2 s): a connection it has just closed is never reused, which would
fail the request on the client's side (ServerDisconnectedError) before it reaches the app."""
SETTLE_SECONDS = 120.0
"""How long sessions and replays still running when the last message is due may take to finish."""
MAX_EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP request and how it was answered."""

    route: str
    """``sms``, ``whatsapp``, ``at-sms``, ``ussd-hop`` or ``ussd-end`` (the hop that sends the report)."""
    sent_at: float
    """Seconds since the load started."""
    latency_ms: float
    status: str
    """The HTTP status code, ``timeout``, or ``error: <aiohttp exception>`` (refused, reset...)."""
    replay: bool


@dataclass(slots=True)
class Message:
    """One message the database must hold exactly once if it was acknowledged."""

    channel: str
    provider: str
    message_id: str
    acknowledged_at: float | None = None
    """Epoch seconds of its first 2xx answer (a USSD session: its END screen); None if never."""
    replayed: bool = False


@dataclass(slots=True)
class Load:
    messages: list[Message] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    lag_s: list[float] = field(default_factory=list)
    """How late each message was started against its schedule."""
    unexpected_screens: int = 0
    examples: list[str] = field(default_factory=list)
    """A few unexpected USSD screens and generator errors, to look at."""
    started_at: float = 0.0
    """Epoch seconds when the first message was due."""
    elapsed_s: float = 0.0
    """From the first message due to the last one answered."""
    cpu_s: float = 0.0

    def note(self, example: str) -> None:
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(example[:300])


class Generator:
    """Sends ``rate`` messages a second for ``duration`` seconds from ``t0`` (a monotonic time)."""

    def __init__(
        self,
        base: str,
        *,
        rate: float,
        duration: float,
        t0: float,
        phones: Sequence[str],
        monitors: Sequence[str],
        menu: MenuText,
        seed: int,
    ) -> None:
        self._base, self._rate, self._duration, self._t0 = base, rate, duration, t0
        self._phones, self._monitors, self._menu = phones, monitors, menu
        self._rng = random.Random(seed)
        # First-screen digits, less Election: its sub-menu sends an incident to a queue that alerts no one.
        self._categories = [
            c.ussd for c in load_taxonomy().categories.values() if len(c.ussd) == 1 and c.code != ELECTION
        ]
        self._validator = RequestValidator(TOKEN)
        self._session: aiohttp.ClientSession | None = None
        self.load = Load()

    async def run(self) -> Load:
        cpu = time.process_time()
        connector = aiohttp.TCPConnector(limit=CONNECTIONS, keepalive_timeout=KEEPALIVE_SECONDS)
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            self._session = session
            tasks: set[asyncio.Task[None]] = set()
            channels, weights = list(MIX), list(MIX.values())
            self.load.started_at = time.time() + (self._t0 - time.monotonic())
            for i in range(int(self._duration * self._rate)):
                due = self._t0 + i / self._rate
                if (delay := due - time.monotonic()) > 0:
                    await asyncio.sleep(delay)
                self.load.lag_s.append(max(0.0, time.monotonic() - due))
                channel = self._rng.choices(channels, weights)[0]
                task = asyncio.create_task(self._message(channel, self._rng.random() < REPLAY_SHARE))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            if tasks:
                _, pending = await asyncio.wait(set(tasks), timeout=SETTLE_SECONDS)
                for task in pending:
                    task.cancel()
        self.load.elapsed_s = time.monotonic() - self._t0
        self.load.cpu_s = time.process_time() - cpu
        return self.load

    async def _message(self, channel: str, replay: bool) -> None:
        try:
            if channel == "ussd":
                await self._ussd(replay)
            else:
                await self._sms(channel, replay)
        except Exception:  # a generator bug must show in the result, not vanish with its task
            self.load.note(traceback.format_exc())

    async def _post(self, route: str, path: str, fields: dict[str, str], *, signature: str = "",
                    replay: bool = False) -> tuple[str, str]:  # fmt: skip
        assert self._session is not None
        headers = {"Content-Type": FORM} | ({"X-Twilio-Signature": signature} if signature else {})
        began = time.monotonic()
        body = ""
        try:
            async with self._session.post(
                self._base + path, data=urllib.parse.urlencode(fields).encode(), headers=headers
            ) as response:
                body, status = await response.text(), str(response.status)
        except TimeoutError:
            status = "timeout"
        except aiohttp.ClientError as exc:
            status = f"error: {type(exc).__name__}"
        latency = (time.monotonic() - began) * 1000
        self.load.answers.append(Answer(route, began - self._t0, latency, status, replay))
        return status, body

    def _body(self) -> str:
        rng = self._rng
        return f"{rng.choice(CATEGORIES)} {rng.choice(TOWNS)} {rng.choice(WHAT)}"

    async def _sms(self, channel: str, replay: bool) -> None:
        rng, phone = self._rng, self._rng.choice(self._phones)
        signature = ""
        if channel == "at-sms":
            message = Message(channel, "africastalking", f"ATXid_{rng.randbytes(16).hex()}")
            path = AT_SMS
            fields = {
                "id": message.message_id, "from": phone, "to": "21212", "text": self._body(),
                "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"), "linkId": rng.randbytes(8).hex(),
                "networkCode": "65902",
            }  # fmt: skip
        else:
            message = Message(channel, "twilio", f"SM{rng.randbytes(16).hex()}")
            path = TWILIO
            sender, to = (
                (f"whatsapp:{phone}", "whatsapp:+14155238886")
                if channel == "whatsapp"
                else (phone, "+211920000000")
            )
            fields = {
                "MessageSid": message.message_id, "SmsMessageSid": message.message_id,
                "SmsSid": message.message_id, "AccountSid": "AC" + "0" * 32, "From": sender, "To": to,
                "Body": self._body(), "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received",
                "ApiVersion": "2010-04-01",
            }  # fmt: skip
            if channel == "whatsapp":
                fields |= {"WaId": phone.removeprefix("+"), "ProfileName": "Monitor"}
            signature = self._validator.compute_signature(self._base + TWILIO, fields)
        self.load.messages.append(message)
        status, _ = await self._post(channel, path, fields, signature=signature)
        _acknowledge(message, status.startswith("2"))
        if replay:
            await asyncio.sleep(rng.uniform(*REPLAY_DELAY))
            message.replayed = True
            status, _ = await self._post(channel, path, fields, signature=signature, replay=True)
            _acknowledge(message, status.startswith("2"))

    async def _ussd(self, replay: bool) -> None:
        rng = self._rng
        phone = rng.choice(self._monitors if rng.random() < MONITOR_SESSIONS else self._phones)
        message = Message("ussd", "africastalking", f"ATUid_{rng.randbytes(16).hex()}")
        self.load.messages.append(message)
        walk = _Walk(
            rng.choice(self._categories), rng.choice("123"), rng.choice(TOWNS), rng.random() < OTHER_PLACE
        )
        fields = {
            "sessionId": message.message_id, "phoneNumber": phone, "networkCode": "65902",
            "serviceCode": "*384*1234#", "text": "",
        }  # fmt: skip
        status, body = await self._post("ussd-hop", USSD, fields)
        for _ in range(MAX_HOPS):
            if status != "200" or not body.startswith("CON "):
                self._unexpected(status, body)
                return
            step = walk.answer(body.removeprefix("CON "), self._menu)
            if step is None:
                self._unexpected(status, body)
                return
            answer, last = step
            fields = fields | {"text": "*".join(part for part in (fields["text"], answer) if part)}
            await asyncio.sleep(rng.uniform(*THINK))
            status, body = await self._post("ussd-end" if last else "ussd-hop", USSD, fields)
            if last:
                break
        ended = status == "200" and body.startswith("END ")
        if not ended and status == "200":
            self._unexpected(status, body)
        _acknowledge(message, ended)
        if replay and ended:
            await asyncio.sleep(rng.uniform(*REPLAY_DELAY))
            message.replayed = True
            status, body = await self._post("ussd-end", USSD, fields, replay=True)
            _acknowledge(message, status == "200" and body.startswith("END "))

    def _unexpected(self, status: str, body: str) -> None:
        """A 200 answer that leaves the expected walk (other statuses are counted by code)."""
        if status == "200":
            self.load.unexpected_screens += 1
            self.load.note(f"unexpected USSD screen: {body!r}")


@dataclass(frozen=True, slots=True)
class _Walk:
    """What one caller will answer, whichever screens she is shown."""

    category: str
    when: str
    town: str
    other_place: bool

    def answer(self, screen: str, menu: MenuText) -> tuple[str, bool] | None:
        """The answer to this screen and whether it sends the report; None for a screen not expected."""
        lines = screen.split("\n")
        title = lines[0]
        if title == menu.what:
            return self.category, False
        if title == menu.where:
            other = next(
                (line.split(" ", 1)[0] for line in lines if line.endswith(" " + menu.other_place)), None
            )
            return ((other if self.other_place else "1"), False) if other else None
        if title == menu.when:
            return self.when, False
        if title == menu.confirm:
            return SEND, True
        if title == menu.type_place:
            return self.town, True
        return None


def _acknowledge(message: Message, ok: bool) -> None:
    if ok and message.acknowledged_at is None:
        message.acknowledged_at = time.time()


def answers_by_status(answers: Sequence[Answer]) -> dict[str, dict[str, int]]:
    """Route -> status -> count."""
    table: dict[str, dict[str, int]] = {}
    for answer in answers:
        row = table.setdefault(answer.route, {})
        row[answer.status] = row.get(answer.status, 0) + 1
    return table


def describe(load: Load) -> dict[str, Any]:
    """The generator's own health: did it hold the rate?"""
    lags = sorted(load.lag_s)
    return {
        "messages_started": len(load.messages),
        "requests": len(load.answers),
        "elapsed_s": load.elapsed_s,
        "cpu_s": load.cpu_s,
        "lag_p99_ms": lags[int(0.99 * (len(lags) - 1))] * 1000 if lags else 0.0,
        "lag_max_ms": lags[-1] * 1000 if lags else 0.0,
        "unexpected_screens": load.unexpected_screens,
        "examples": load.examples,
    }

"""What a provider's webhooks are, as data: app/webhooks serves every route with one view (C14).

A provider is one handler (courier's shape): how its requests are authenticated, and its routes. A route
says what kind of thing arrives (something she sent, a delivery report, a USSD hop or session end), how
its form is parsed and what the provider expects in answer; what Dalili does with each kind is the app's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from channels.africastalking.ussd import UssdHop, UssdSessionEnd
from channels.base import Headers, ParsedInbound, StatusUpdate

T_co = TypeVar("T_co", covariant=True)


class Request(Protocol):
    """What a handler reads of an HTTP request (Flask's request is one); read lazily, as a check may
    refuse a request before its body is read."""

    @property
    def path(self) -> str: ...
    @property
    def query_string(self) -> bytes: ...
    @property
    def args(self) -> Mapping[str, str]: ...
    @property
    def headers(self) -> Headers: ...
    @property
    def remote_addr(self) -> str | None: ...
    @property
    def mimetype(self) -> str: ...
    @property
    def form(self) -> Mapping[str, str]: ...


class Secrets(Protocol):
    """The deployment's webhook credentials (config's Settings is one)."""

    @property
    def public_url(self) -> str: ...
    @property
    def twilio_auth_token(self) -> str: ...
    @property
    def at_webhook_token(self) -> str: ...
    @property
    def at_allowed_networks(self) -> Sequence[str]: ...


class Parse(Protocol[T_co]):
    """Reads a form; her number leaves only as her key."""

    def __call__(self, form: Mapping[str, str], *, pepper: str, default_region: str) -> T_co: ...


class Salvage(Protocol):
    """Keeps a malformed message for review, with the reason it was refused."""

    def __call__(
        self, form: Mapping[str, str], reason: str, *, pepper: str, default_region: str
    ) -> ParsedInbound: ...


@dataclass(frozen=True, slots=True)
class Answer:
    """The body a provider expects back; ``mimetype`` None is Flask's default (an ignored empty 200)."""

    body: str = ""
    mimetype: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundRoute:
    """Something she sent (a message, a beep): stored, then triaged."""

    path: str
    parse: Parse[ParsedInbound | None]
    """None for a callback that brings nothing new (the end of a call)."""
    answer: Answer
    salvage: Salvage | None = None
    """For a message: what keeps it for review when it cannot be parsed."""
    words: tuple[str, ...] = ()
    """Fields of which one, not empty, makes a malformed request worth salvaging."""
    sender: str | None = None
    """The field replied to, unless the parser marked the message not ``replyable``."""

    def reply_to(self, form: Mapping[str, str], parsed: ParsedInbound) -> str | None:
        if self.sender is None or not parsed.content.get("replyable", True):
            return None
        return form[self.sender]


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusRoute:
    """A delivery report for what Dalili sent; None from ``parse`` is a status not tracked."""

    path: str
    parse: Callable[[Mapping[str, str]], StatusUpdate | None]
    opted_out: Callable[[StatusUpdate], bool]
    answer: Answer


@dataclass(frozen=True, slots=True, kw_only=True)
class UssdHopRoute:
    """One hop of a USSD session, answered with the next screen."""

    path: str
    parse: Parse[UssdHop]
    render: Callable[[str, bool], str]
    """The body of the answer from a screen's text and whether it ends the session."""
    mimetype: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UssdEndRoute:
    """The notice that a USSD session ended."""

    path: str
    parse: Parse[UssdSessionEnd]
    answer: Answer


Route = InboundRoute | StatusRoute | UssdHopRoute | UssdEndRoute


class Handler(Protocol):
    """One provider protocol: its name (the first segment of its paths) and routes, and the check every
    request must pass first (raising a ChannelError)."""

    @property
    def provider(self) -> str: ...
    @property
    def routes(self) -> tuple[Route, ...]: ...
    def authenticate(self, request: Request, secrets: Secrets) -> None: ...

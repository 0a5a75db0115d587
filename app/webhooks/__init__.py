"""Provider webhooks: verify, parse, store, enqueue, acknowledge (CHANNELS.md).

Paths are stable; deployments configure them at the providers.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, request

from alerts.reporters.outbound import apply_delivery
from app import current_services
from app.intake import receive
from channels.base import ParsedInbound, StatusUpdate
from channels.errors import PayloadInvalid

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

FORM = "application/x-www-form-urlencoded"


def training_request() -> bool:
    """Messages from the phone simulator (or a training number) carry ``?mode=training``."""
    return request.args.get("mode") == "training" and current_services().settings.training


def identity() -> dict[str, str]:
    settings = current_services().settings
    return {"pepper": settings.pepper, "default_region": settings.default_country}


def take_message(
    parse: Callable[[], ParsedInbound],
    salvage: Callable[[str], ParsedInbound],
    *,
    carries_message: bool,
    reply_to: Callable[[ParsedInbound], str | None],
) -> None:
    """Store a parsed message; a malformed one that still carries words is kept for review."""
    source, training = request.remote_addr or "", training_request()
    try:
        parsed = parse()
    except PayloadInvalid as exc:
        if carries_message:
            receive(salvage(str(exc)), source=source, status="review", error=str(exc), training=training)
        raise
    receive(parsed, source=source, reply_to=reply_to(parsed), training=training)


def take_missed_call(provider: str, call_id: str, reporter_key: str) -> None:
    """A "beep" asks for a call back: stored like a message (the worker decides if she is a monitor)."""
    receive(
        ParsedInbound(
            provider=provider,
            channel="voice",
            provider_message_id=call_id,
            reporter_key=reporter_key,
            content={"missed_call": True},
        ),
        source=request.remote_addr or "",
        training=training_request(),
    )


def record_status(update: StatusUpdate | None, *, opted_out: bool) -> None:
    """Keep a delivery callback; an unknown status (None) is only logged by the parser."""
    if update is not None:
        apply_delivery(
            provider=update.provider,
            provider_message_id=update.provider_message_id,
            status=update.status,
            error_code=update.error_code,
            opted_out=opted_out,
            payload=update.payload,
            uow=current_services().uow(),
        )


from app.webhooks import africastalking, twilio  # noqa: E402, F401  # reason: routes register on bp

"""Twilio: SMS and WhatsApp in, delivery status, missed calls (CHANNELS.md §1-§6)."""

from __future__ import annotations

import logging

from flask import Response, request

from alerts.outbound import apply_delivery
from app import current_services
from app.intake import receive
from app.webhooks import FORM, bp, identity, training_request
from channels.base import ParsedInbound
from channels.errors import PayloadInvalid
from channels.twilio import inbound as twilio
from channels.twilio.status import is_opt_out, parse_status
from channels.twilio.voice import REJECT_TWIML, parse_call

logger = logging.getLogger(__name__)


def _verify() -> None:
    settings = current_services().settings
    url = twilio.signed_url(settings.public_url, request.path, request.query_string.decode("ascii"))
    twilio.verify_signature(url, request.form, request.headers, auth_token=settings.twilio_auth_token)
    if request.mimetype != FORM:
        raise PayloadInvalid(f"expected {FORM}, got {request.mimetype or 'no content type'}")


@bp.post("/twilio/sms")
def twilio_sms() -> Response:
    """Inbound SMS and WhatsApp; answers empty TwiML once the message is stored."""
    _verify()
    source = request.remote_addr or ""
    try:
        parsed = twilio.parse_message(request.form, **identity())
    except PayloadInvalid as exc:
        if request.form.get("Body") or request.form.get("From"):
            salvaged = twilio.salvage_message(request.form, str(exc), **identity())
            receive(salvaged, source=source, status="review", error=str(exc), training=training_request())
        raise
    receive(parsed, source=source, reply_to=request.form["From"], training=training_request())
    return Response(twilio.EMPTY_TWIML, mimetype="text/xml")


@bp.post("/twilio/status")
def twilio_status() -> Response:
    """Delivery callbacks for what Dalili sent; unknown statuses are kept and answered 200."""
    _verify()
    update = parse_status(request.form)
    if update is not None:
        apply_delivery(
            provider=update.provider,
            provider_message_id=update.provider_message_id,
            status=update.status,
            error_code=update.error_code,
            opted_out=is_opt_out(update),
            payload=update.payload,
            uow=current_services().uow(),
        )
    return Response("", status=200)


@bp.post("/twilio/voice")
def twilio_voice() -> Response:
    """A missed call ("beep"): rejected unanswered, so it costs her nothing; a call-back alert follows."""
    _verify()
    call = parse_call(request.form, **identity())
    receive(
        ParsedInbound(
            provider="twilio",
            channel="voice",
            provider_message_id=call.call_sid,
            reporter_key=call.reporter_key,
            content={"missed_call": True},
        ),
        source=request.remote_addr or "",
        training=training_request(),
    )
    return Response(REJECT_TWIML, mimetype="text/xml")

"""Twilio: SMS and WhatsApp in, delivery status, missed calls (CHANNELS.md §1-§6)."""

from __future__ import annotations

import logging

from flask import Response, request

from app import current_services
from app.webhooks import FORM, bp, identity, record_status, take_message, take_missed_call
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
    form = request.form
    take_message(
        lambda: twilio.parse_message(form, **identity()),
        lambda reason: twilio.salvage_message(form, reason, **identity()),
        carries_message=bool(form.get("Body") or form.get("From")),
        reply_to=lambda _: form["From"],
    )
    return Response(twilio.EMPTY_TWIML, mimetype="text/xml")


@bp.post("/twilio/status")
def twilio_status() -> Response:
    """Delivery callbacks for what Dalili sent; unknown statuses are kept and answered 200."""
    _verify()
    update = parse_status(request.form)
    record_status(update, opted_out=update is not None and is_opt_out(update))
    return Response("", status=200)


@bp.post("/twilio/voice")
def twilio_voice() -> Response:
    """A missed call ("beep"): rejected unanswered, so it costs her nothing; a call-back alert follows."""
    _verify()
    call = parse_call(request.form, **identity())
    take_missed_call(call.provider, call.call_sid, call.reporter_key)
    return Response(REJECT_TWIML, mimetype="text/xml")

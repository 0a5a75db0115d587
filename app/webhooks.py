"""Provider webhooks: verify, parse, store, enqueue, acknowledge (CHANNELS.md)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from app import current_services
from app.intake import receive
from channels.errors import PayloadInvalid
from channels.twilio import inbound as twilio

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

FORM = "application/x-www-form-urlencoded"


@bp.post("/twilio/sms")
def twilio_sms() -> Response:
    """Inbound SMS and WhatsApp from Twilio; answers empty TwiML once the message is stored."""
    settings = current_services().settings
    url = twilio.signed_url(settings.public_url, request.path, request.query_string.decode("ascii"))
    twilio.verify_signature(url, request.form, request.headers, auth_token=settings.twilio_auth_token)
    if request.mimetype != FORM:
        raise PayloadInvalid(f"expected {FORM}, got {request.mimetype or 'no content type'}")
    identity = {"pepper": settings.pepper, "default_region": settings.default_country}
    try:
        receive(twilio.parse_message(request.form, **identity))
    except PayloadInvalid as exc:
        if request.form.get("Body") or request.form.get("From"):
            receive(
                twilio.salvage_message(request.form, str(exc), **identity), status="review", error=str(exc)
            )
        raise
    return Response(twilio.EMPTY_TWIML, mimetype="text/xml")

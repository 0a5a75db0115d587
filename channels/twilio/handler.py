"""Twilio's webhooks: SMS and WhatsApp in, delivery status, missed calls (CHANNELS.md §1-§6)."""

from __future__ import annotations

from channels.errors import PayloadInvalid
from channels.handlers import Answer, InboundRoute, Request, Route, Secrets, StatusRoute
from channels.twilio import inbound, status, voice

FORM = "application/x-www-form-urlencoded"


class TwilioHandler:
    provider = inbound.PROVIDER
    routes: tuple[Route, ...] = (
        InboundRoute(
            path="sms",
            parse=inbound.parse_message,
            salvage=inbound.salvage_message,
            words=("Body", "From"),
            sender="From",
            answer=Answer(inbound.EMPTY_TWIML, "text/xml"),
        ),
        StatusRoute(path="status", parse=status.parse_status, opted_out=status.is_opt_out, answer=Answer()),
        # Rejected unanswered, so a beep costs her nothing; a call-back alert follows.
        InboundRoute(path="voice", parse=voice.missed_call, answer=Answer(voice.REJECT_TWIML, "text/xml")),
    )

    def authenticate(self, request: Request, secrets: Secrets) -> None:
        """The signature over the public URL, then the form encoding the signature was computed on."""
        url = inbound.signed_url(secrets.public_url, request.path, request.query_string.decode("ascii"))
        inbound.verify_signature(url, request.form, request.headers, auth_token=secrets.twilio_auth_token)
        if request.mimetype != FORM:
            raise PayloadInvalid(f"expected {FORM}, got {request.mimetype or 'no content type'}")


HANDLER = TwilioHandler()

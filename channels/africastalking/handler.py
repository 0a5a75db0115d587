"""Africa's Talking's webhooks: SMS in, delivery reports, USSD hops and session ends, missed calls
(CHANNELS.md §7-§10)."""

from __future__ import annotations

from channels.africastalking import auth, sms, ussd, voice
from channels.handlers import (
    Answer,
    InboundRoute,
    Request,
    Route,
    Secrets,
    StatusRoute,
    UssdEndRoute,
    UssdHopRoute,
)


class AfricasTalkingHandler:
    provider = sms.PROVIDER
    routes: tuple[Route, ...] = (
        InboundRoute(
            path="sms",
            parse=sms.parse_message,
            salvage=sms.salvage_message,
            words=("text", "from"),
            sender="from",
            answer=Answer(),  # any 2xx acknowledges
        ),
        StatusRoute(
            path="delivery", parse=sms.parse_delivery_report, opted_out=sms.is_opt_out, answer=Answer()
        ),
        UssdHopRoute(path="ussd", parse=ussd.parse_hop, render=ussd.render, mimetype="text/plain"),
        UssdEndRoute(path="ussd/events", parse=ussd.parse_session_end, answer=Answer()),
        InboundRoute(
            path="voice", parse=voice.missed_call, answer=Answer(voice.REJECT_RESPONSE, "application/xml")
        ),
    )

    def authenticate(self, request: Request, secrets: Secrets) -> None:
        """AT signs nothing: the deployment token (HTTP basic password or ``token`` query parameter) and
        the optional address allow-list."""
        auth.check_webhook(
            request.args,
            request.headers,
            request.remote_addr or "",
            token=secrets.at_webhook_token,
            allowed_networks=secrets.at_allowed_networks,
        )


HANDLER = AfricasTalkingHandler()

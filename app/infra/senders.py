"""Outbound senders per provider, chosen by configuration; a recorder where nothing may really go."""

from __future__ import annotations

import json
import logging
import secrets

from redis import Redis

from channels.africastalking.outbound import AfricasTalkingSender
from channels.base import OutboundMessage, Sender, SendResult
from channels.phone import pseudonymise
from channels.twilio.outbound import TwilioSender
from config.settings import Settings

logger = logging.getLogger(__name__)

RECORDED_TTL = 24 * 3600
"""How long the simulator can show a recorded reply."""


class RecordingSender:
    """Sends nothing: keeps the text for the phone simulator under the recipient's pseudonym.

    Used for training messages always, and for a provider without credentials (development).
    """

    def __init__(self, provider: str, redis: Redis, *, pepper: str, default_region: str) -> None:
        self.provider = provider
        self._redis = redis
        self._pepper, self._region = pepper, default_region

    def send(self, message: OutboundMessage) -> SendResult:
        key = recorded_key(pseudonymise(message.to, pepper=self._pepper, default_region=self._region))
        entry = json.dumps({"channel": message.channel, "text": message.text}, ensure_ascii=False)
        with self._redis.pipeline() as pipe:
            pipe.rpush(key, entry)
            pipe.expire(key, RECORDED_TTL)
            pipe.execute()
        logger.info("recorded a %s reply instead of sending it", message.channel)
        return SendResult(f"recorded-{secrets.token_hex(8)}", "delivered")


def recorded_key(reporter_key: str) -> str:
    return f"dalili:recorded:{reporter_key}"


def build_senders(settings: Settings, redis: Redis) -> dict[str, Sender]:
    """The real sender for each provider that has credentials, a recorder for the others."""
    identity = {"pepper": settings.pepper, "default_region": settings.default_country}
    senders: dict[str, Sender] = {
        "twilio": RecordingSender("twilio", redis, **identity),
        "africastalking": RecordingSender("africastalking", redis, **identity),
        "training": RecordingSender("training", redis, **identity),
    }
    if settings.twilio_account_sid:
        senders["twilio"] = TwilioSender(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            from_number=settings.twilio_from_number,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            whatsapp_from=settings.twilio_whatsapp_from,
            status_callback=settings.public_url.rstrip("/") + "/webhooks/twilio/status",
        )
    if settings.at_api_key:
        senders["africastalking"] = AfricasTalkingSender(
            settings.at_username, settings.at_api_key, sender_id=settings.at_sender_id or None
        )
    return senders

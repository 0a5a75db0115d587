"""Outbound SMS and WhatsApp through Twilio's REST API (CHANNELS.md §4-§6)."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

import requests
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from channels.base import OutboundMessage, SendResult
from channels.errors import ChannelConfigError, SendFailed
from channels.phone import WHATSAPP_PREFIX
from channels.twilio.inbound import PROVIDER
from channels.twilio.status import STATUS_MAPPING

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT = 30.0
"""Seconds to wait for Twilio's REST API before the job gives up and retries."""

WHATSAPP_WINDOW = timedelta(hours=24)
"""Free-form WhatsApp messages are allowed this long after her last inbound message (CHANNELS.md §6.3)."""

WINDOW_CLOSED = "63016"
"""Free-form WhatsApp message outside the 24-hour window: resend it as a Content Template."""

RETRYABLE_CODES = frozenset({"20429", "63018"})
"""Twilio error codes worth retrying later: REST throttling and the WhatsApp rate limit."""


def within_whatsapp_window(
    last_inbound_at: datetime | None, now: datetime, *, margin: timedelta = timedelta(hours=1)
) -> bool:
    """Whether a free-form WhatsApp message sent ``now`` still lands inside her 24-hour window."""
    if last_inbound_at is None:
        return False
    return now - last_inbound_at < WHATSAPP_WINDOW - margin


def whatsapp_address(raw: str) -> str:
    """Her address as Twilio's WhatsApp channel wants it: ``whatsapp:+E164`` or ``whatsapp:<BSUID>``."""
    address = raw.strip().removeprefix(WHATSAPP_PREFIX)
    # A business-scoped user id (US.1234) is not a phone number: Twilio expects it exactly as received.
    if "." in address or any(ch.isalpha() for ch in address) or address.startswith("+"):
        return WHATSAPP_PREFIX + address
    return WHATSAPP_PREFIX + "+" + address


def _error_code(exc: TwilioRestException | TwilioServiceException) -> str | None:
    # The SDK repeats the HTTP status as the code when Twilio's body names none.
    if not exc.code or exc.code == exc.status:
        return None
    return str(exc.code)


def _send_failed(exc: TwilioRestException | TwilioServiceException) -> SendFailed:
    code = _error_code(exc)
    status = int(exc.status or 0)
    description = f"Twilio refused the message: HTTP {status}, error {code or 'none'}"
    if code == WINDOW_CLOSED:
        return SendFailed(description + " (outside the WhatsApp 24-hour window)", retryable=False, code=code)
    retryable = status == 429 or status >= 500 or code in RETRYABLE_CODES
    return SendFailed(description, retryable=retryable, code=code)


class TwilioSender:
    """Send SMS and WhatsApp messages through one Twilio account."""

    provider = PROVIDER

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_number: str = "",
        messaging_service_sid: str = "",
        whatsapp_from: str = "",
        status_callback: str = "",
        client: Client | None = None,
    ) -> None:
        if not (from_number or messaging_service_sid or whatsapp_from):
            raise ChannelConfigError("Twilio needs a sender number, WhatsApp sender or Messaging Service")
        self._from_number = from_number
        self._messaging_service_sid = messaging_service_sid
        self._whatsapp_from = whatsapp_from
        self._status_callback = status_callback
        self._client = client or Client(
            account_sid, auth_token, http_client=TwilioHttpClient(timeout=REQUEST_TIMEOUT)
        )

    def _sender(self, channel: str) -> dict[str, str]:
        # An explicitly configured sender wins; otherwise the Messaging Service picks one.
        if channel == "whatsapp" and self._whatsapp_from:
            return {"from_": whatsapp_address(self._whatsapp_from)}
        if channel == "sms" and self._from_number:
            return {"from_": self._from_number}
        if self._messaging_service_sid:
            return {"messaging_service_sid": self._messaging_service_sid}
        raise ChannelConfigError(f"no Twilio sender configured for {channel}")

    def _arguments(self, message: OutboundMessage) -> dict[str, Any]:
        if message.channel == "sms":
            arguments: dict[str, Any] = {"to": message.to.strip(), "body": message.text}
        elif message.channel == "whatsapp":
            arguments = {"to": whatsapp_address(message.to)}
            # see https://www.twilio.com/docs/api/errors/63016 (templates outside the 24-hour window)
            if message.template_sid is None:
                arguments["body"] = message.text
            else:
                arguments["content_sid"] = message.template_sid
                if message.template_variables:
                    arguments["content_variables"] = json.dumps(
                        message.template_variables, ensure_ascii=False, separators=(",", ":")
                    )
        else:
            raise ValueError(f"Twilio does not send on channel {message.channel!r}")
        arguments.update(self._sender(message.channel))
        if self._status_callback:
            arguments["status_callback"] = self._status_callback
        return arguments

    # see https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource
    def send(self, message: OutboundMessage) -> SendResult:
        """Send one message; raise SendFailed, retryable or not, when Twilio does not take it."""
        arguments = self._arguments(message)
        try:
            created = self._client.messages.create(**arguments)
        except (TwilioRestException, TwilioServiceException) as exc:
            failure = _send_failed(exc)
            logger.warning("Twilio send failed on %s: %s", message.channel, failure)
            # Twilio's error text can quote her number back, so it must not reach a traceback.
            raise failure from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            # A read timeout may hide a message Twilio did send: a duplicate beats a lost warning.
            logger.warning("Twilio unreachable on %s: %s", message.channel, type(exc).__name__)
            raise SendFailed(f"Twilio unreachable: {type(exc).__name__}", retryable=True) from exc
        # The lowest rank, so that the first status callback replaces an unexpected initial status.
        status = STATUS_MAPPING.get(str(created.status)) or "accepted"
        logger.info("Twilio accepted %s as %s (%s)", message.channel, created.sid, status)
        return SendResult(str(created.sid), status)

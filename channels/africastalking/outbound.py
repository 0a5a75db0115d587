"""Outbound SMS through Africa's Talking with the ``africastalking`` SDK 2.0.3 (CHANNELS.md §9)."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import requests
from africastalking.Service import AfricasTalkingException, validate_phone
from africastalking.SMS import SMSService

from channels.africastalking.sms import PROVIDER
from channels.base import OutboundMessage, SendResult
from channels.errors import ChannelConfigError, SendFailed

logger = logging.getLogger(__name__)

ACCEPTED = {100: "queued", 101: "sent", 102: "queued"}
"""Per-recipient ``statusCode`` values that mean AT took the message: Processed, Sent, Queued."""

RETRYABLE = frozenset({500, 501, 502})
"""Per-recipient ``statusCode`` values worth a later retry: AT's or the gateway's fault."""

STATUS_CODE_NAMES = {
    401: "RiskHold",
    402: "InvalidSenderId",
    403: "InvalidPhoneNumber",
    404: "UnsupportedNumberType",
    405: "InsufficientBalance",
    406: "UserInBlacklist",
    407: "CouldNotRoute",
    409: "DoNotDisturbRejection",
    500: "InternalServerError",
    501: "GatewayError",
    502: "RejectedByGateway",
}
"""The ``SendFailed.code`` for each refusal: the name, as 401 means RiskHold here but a bad key over HTTP."""

INVALID_API_KEY = "InvalidApiKey"
OPERATOR_CODES = frozenset({INVALID_API_KEY, "InvalidSenderId", "InsufficientBalance"})
"""Refusals only an operator can fix: alert one rather than just mark the message failed."""

AUTHENTICATION_INVALID = "The supplied authentication is invalid"
"""AT's body for a bad API key, the only non-2xx answer told apart (the SDK hides the status)."""


def _redacted(body: str, message: OutboundMessage) -> str:
    # AT's error text may quote the request back; her number and words must not reach a log.
    for secret in (message.to.strip(), message.text):
        if secret:
            body = body.replace(secret, "…")
    return re.sub(r"\+?\d{6,}", "…", body)[:120]


def _decoded(body: Any) -> dict[str, Any]:
    # The SDK returns a str unless Content-Type is exactly application/json.
    if isinstance(body, str | bytes):
        body = json.loads(body)
    data = body.get("SMSMessageData") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise ValueError("no SMSMessageData object")
    return data


def _result(data: dict[str, Any]) -> SendResult:
    recipients = data.get("Recipients")
    if not isinstance(recipients, list) or not recipients or not isinstance(recipients[0], dict):
        summary = str(data.get("Message", ""))
        code = summary if summary.isalnum() else "NoRecipients"
        raise SendFailed(f"Africa's Talking sent to no one: {code}", retryable=False, code=code)
    recipient = recipients[0]
    try:
        status_code = int(str(recipient.get("statusCode")))
    except (TypeError, ValueError):
        status_code = 0
    if status_code in ACCEPTED:
        message_id = str(recipient.get("messageId") or "")
        if message_id in ("", "None"):
            raise SendFailed(
                "Africa's Talking accepted without a messageId", retryable=False, code="NoMessageId"
            )
        return SendResult(message_id, ACCEPTED[status_code])
    code = STATUS_CODE_NAMES.get(status_code, f"statusCode={status_code}")
    raise SendFailed(
        f"Africa's Talking refused the recipient: {status_code} {code}",
        retryable=status_code in RETRYABLE,
        code=code,
    )


def _failure(exc: Exception, message: OutboundMessage) -> SendFailed:
    if isinstance(exc, SendFailed):
        return exc
    if isinstance(exc, AfricasTalkingException):
        text = str(exc)
        if AUTHENTICATION_INVALID in text:
            return SendFailed("Africa's Talking refused the API key", retryable=False, code=INVALID_API_KEY)
        # The SDK keeps no status code, so a 5xx cannot be told from a 4xx: try again.
        return SendFailed(
            f"Africa's Talking answered an HTTP error: {_redacted(text, message)}",
            retryable=True,
            code="HttpError",
        )
    if isinstance(exc, requests.RequestException) and not isinstance(exc, requests.JSONDecodeError):
        # A read timeout may hide a message AT did send: a duplicate beats a lost warning.
        return SendFailed(f"Africa's Talking unreachable: {type(exc).__name__}", retryable=True)
    # A 2xx we cannot read was most likely sent: a resend would reach her twice.
    return SendFailed(
        "Africa's Talking answered an unreadable body", retryable=False, code="UnreadableResponse"
    )


class AfricasTalkingSender:
    """Send SMS through one Africa's Talking account (``sandbox`` selects the sandbox API)."""

    provider = PROVIDER

    def __init__(self, username: str, api_key: str, sender_id: str | None = None) -> None:
        if not username or not api_key:
            raise ChannelConfigError("Africa's Talking needs a username and an API key")
        self._sender_id = sender_id or None
        # One service per sender: africastalking.initialize() would set module-wide singletons.
        self._sms = SMSService(username, api_key)

    # see https://docs.africastalking.com/sms/sending
    def send(self, message: OutboundMessage) -> SendResult:
        """Send one SMS; raise SendFailed, retryable or not, unless AT took it for her number."""
        to = message.to.strip()
        try:
            if message.channel != "sms":
                raise SendFailed(
                    f"Africa's Talking has no {message.channel!r} channel",
                    retryable=False,
                    code="UnsupportedChannel",
                )
            if not validate_phone(to):
                # Checked here because the SDK's ValueError would carry her number into a traceback.
                raise SendFailed("recipient is not +E.164", retryable=False, code="InvalidPhoneNumber")
            result = _result(_decoded(self._sms.send(message.text, [to], sender_id=self._sender_id)))
        except (SendFailed, AfricasTalkingException, requests.RequestException, ValueError) as exc:
            failure = _failure(exc, message)
            logger.warning("Africa's Talking send failed: %s", failure.code)
            raise failure from None
        logger.info("Africa's Talking accepted sms as %s (%s)", result.provider_message_id, result.status)
        return result

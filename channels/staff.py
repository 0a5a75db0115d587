"""Alert notifications to staff (JOC duty officers, configured responders) by email, webhook and SMS.

Never used for reporters: their replies go through ``channels.base.Sender`` directly, with the
safeguards their safety needs. Each notifier delivers one alert to one address and returns a
delivery id, or raises SendFailed whose ``retryable`` tells the job whether trying again can help.
Logs name the kind and the delivery id only: addresses stay out of them, and a webhook URL can
itself be a credential.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import smtplib
import ssl
import threading
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any, NamedTuple, Protocol

import requests

from channels.base import OutboundMessage, Sender
from channels.errors import ChannelError, SendFailed

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Dalili-Signature"
TIMESTAMP_HEADER = "X-Dalili-Timestamp"
DELIVERY_HEADER = "X-Dalili-Delivery"
"""A fresh id per attempt, for both sides' logs; a retry repeats the body, whose fields identify the alert."""

RETRYABLE_HTTP = frozenset({408, 429})
"""Client errors that mean "later", not "never"."""


@dataclass(frozen=True, slots=True)
class StaffAlert:
    subject: str
    """Short, e.g. "Dalili P1 alert #123"."""
    text: str
    """Plain text body; at most 320 characters keeps the SMS (text and url) within about two parts."""
    url: str
    """Link to the incident in the dashboard."""
    data: Mapping[str, Any]
    """JSON-safe machine fields for webhooks (incident_id, priority, event, ...)."""


class StaffNotifier(Protocol):
    kind: str
    """``email``, ``webhook``, ``sms`` or ``recorded``."""

    def notify(self, address: str, alert: StaffAlert) -> str:
        """Deliver ``alert`` to ``address``; return a delivery id or raise SendFailed."""
        ...


def _delivered(kind: str, delivery_id: str) -> str:
    logger.info("staff %s alert delivered as %s", kind, delivery_id)
    return delivery_id


def _failed(kind: str, message: str, *, retryable: bool, code: str) -> SendFailed:
    logger.warning("staff %s alert failed: %s (retryable=%s)", kind, code, retryable)
    return SendFailed(message, retryable=retryable, code=code)


class SmtpNotifier:
    """Email through one SMTP relay, a new connection per alert (alerts are few; no pool to go stale)."""

    kind = "email"

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        username: str = "",
        password: str = "",
        starttls: bool = False,
        tls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        if starttls and tls:
            raise ValueError("choose STARTTLS or implicit TLS, not both")
        self.host, self.port, self.sender, self.username = host, port, sender, username
        self.starttls, self.tls, self.timeout = starttls, tls, timeout
        self._password = password
        # The Message-ID's domain: the sender's, rather than this machine's name.
        self._domain = parseaddr(sender)[1].rpartition("@")[2] or host

    def _message(self, address: str, alert: StaffAlert) -> EmailMessage:
        message = EmailMessage()  # policy.default: UTF-8 and RFC-correct header folding
        message["Subject"] = " ".join(alert.subject.split())  # a newline in it would be refused
        message["From"] = self.sender
        message["To"] = address
        message["Date"] = formatdate(usegmt=True)
        # Not make_msgid: its runs of digits look like phone numbers to the log redaction (R27).
        message["Message-ID"] = f"<{secrets.token_urlsafe(18)}@{self._domain}>"
        message.set_content(f"{alert.text}\n\n{alert.url}\n")
        return message

    def _connect(self) -> smtplib.SMTP:
        if self.tls:
            context = ssl.create_default_context()
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def _send(self, message: EmailMessage) -> None:
        smtp = self._connect()
        try:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self._password)
            smtp.send_message(message)
        except BaseException:
            smtp.close()
            raise
        # The server has taken the message: a failed goodbye must not make the job send it again.
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def notify(self, address: str, alert: StaffAlert) -> str:
        if "@" not in address or any(ch.isspace() for ch in address):
            raise _failed(self.kind, "not an email address", retryable=False, code="invalid-address")
        message = self._message(address, alert)
        try:
            self._send(message)
        except smtplib.SMTPRecipientsRefused as exc:
            # Greylisting answers RCPT with 4xx: worth another try, unlike "no such mailbox" (5xx).
            codes = [code for code, _ in exc.recipients.values()]
            retryable = all(400 <= code < 500 for code in codes)
            raise _failed(
                self.kind, "recipient refused", retryable=retryable, code=f"smtp-{codes[0]}"
            ) from exc
        except smtplib.SMTPResponseException as exc:  # sender refused, DATA refused, login refused, ...
            retryable = 400 <= exc.smtp_code < 500
            raise _failed(
                self.kind,
                f"SMTP server answered {exc.smtp_code}",
                retryable=retryable,
                code=f"smtp-{exc.smtp_code}",
            ) from exc
        except smtplib.SMTPServerDisconnected as exc:
            raise _failed(self.kind, "SMTP server disconnected", retryable=True, code="unreachable") from exc
        except smtplib.SMTPException as exc:  # e.g. no STARTTLS or SMTPUTF8 on the server: configuration
            raise _failed(self.kind, type(exc).__name__, retryable=False, code="smtp-unsupported") from exc
        except OSError as exc:  # refused, timed out, DNS, TLS handshake
            raise _failed(
                self.kind, f"SMTP unreachable: {type(exc).__name__}", retryable=True, code="unreachable"
            ) from exc
        return _delivered(self.kind, str(message["Message-ID"]))


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Dalili-Signature`` value: ``sha256=`` and the hex HMAC-SHA256 of ``timestamp.body``.

    Signing the timestamp lets a receiver refuse replays: it should compare with
    ``hmac.compare_digest`` and reject timestamps more than a few minutes old.
    """
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookNotifier:
    """Signed JSON POST to a receiver's URL (chat bridge, paging service, partner system)."""

    kind = "webhook"

    def __init__(self, *, secret: str, timeout: float = 10.0) -> None:
        self._secret, self.timeout = secret, timeout

    def notify(self, address: str, alert: StaffAlert) -> str:
        # The three human fields win over a same-named machine field, so every receiver can rely on them.
        payload = {**alert.data, "subject": alert.subject, "text": alert.text, "url": alert.url}
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        delivery_id = f"webhook-{secrets.token_hex(8)}"
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(self._secret, timestamp, body),
            DELIVERY_HEADER: delivery_id,
        }
        # Errors are re-raised "from None" and without their text: requests quotes the URL, and a
        # webhook URL (Slack, Teams) is often itself the credential.
        try:
            # No redirects: requests would turn the POST into a GET and drop the body.
            with requests.post(
                address, data=body, headers=headers, timeout=self.timeout, allow_redirects=False, stream=True
            ) as response:
                status = response.status_code
        except (requests.ConnectionError, requests.Timeout) as exc:
            # A read timeout may hide a delivered alert: a duplicate beats a lost warning.
            name = type(exc).__name__
            raise _failed(
                self.kind, f"webhook unreachable: {name}", retryable=True, code="unreachable"
            ) from None
        except requests.RequestException as exc:  # not an http(s) URL, and the like
            name = type(exc).__name__
            raise _failed(
                self.kind, f"webhook address unusable: {name}", retryable=False, code="invalid-address"
            ) from None
        if not 200 <= status < 300:
            retryable = status >= 500 or status in RETRYABLE_HTTP
            raise _failed(
                self.kind, f"webhook answered HTTP {status}", retryable=retryable, code=f"http-{status}"
            )
        return _delivered(self.kind, delivery_id)


class SmsNotifier:
    """SMS through a reporters' Sender (Twilio, Africa's Talking); its message id is the delivery id."""

    kind = "sms"

    def __init__(self, sender: Sender) -> None:
        self.sender = sender

    def notify(self, address: str, alert: StaffAlert) -> str:
        message = OutboundMessage(to=address, text=f"{alert.text} {alert.url}", channel="sms")
        try:
            result = self.sender.send(message)
        except SendFailed:
            raise
        except ChannelError as exc:  # e.g. ChannelConfigError: the protocol promises SendFailed only
            raise _failed(self.kind, str(exc), retryable=exc.retryable, code=type(exc).__name__) from exc
        return _delivered(self.kind, result.provider_message_id)


class Recorded(NamedTuple):
    kind: str
    """The channel the recorder stands in for (``email``, ``webhook``, ``sms``) or ``recorded``."""
    address: str
    subject: str
    text: str
    url: str


class RecordingNotifier:
    """Sends nothing: keeps each alert in ``sent`` for development and tests."""

    kind = "recorded"

    def __init__(self, stands_for: str = "recorded") -> None:
        self.stands_for = stands_for
        self.sent: list[Recorded] = []
        self._lock = threading.Lock()

    def notify(self, address: str, alert: StaffAlert) -> str:
        with self._lock:
            self.sent.append(Recorded(self.stands_for, address, alert.subject, alert.text, alert.url))
        logger.info("recorded a staff %s alert instead of sending it", self.stands_for)
        return _delivered(self.kind, f"recorded-{secrets.token_hex(8)}")


_TRUE, _FALSE = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off", ""})


def smtp_notifier_from_url(smtp_url: str) -> SmtpNotifier:
    """``smtp://user:pass@host:587?starttls=1&from=dalili@example.org``; ``smtps://`` for implicit TLS.

    Errors name the faulty part but never repeat the URL: it holds the password.
    """
    parts = urllib.parse.urlsplit(smtp_url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("SMTP URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("SMTP URL has no host")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("SMTP URL port is not a number from 1 to 65535") from None
    if parts.path not in ("", "/"):
        raise ValueError("SMTP URL must not have a path")
    username = urllib.parse.unquote(parts.username or "")
    password = urllib.parse.unquote(parts.password or "")
    if password and not username:
        raise ValueError("SMTP URL has a password but no user name")
    query: dict[str, str] = {}
    for key, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
        if key not in ("starttls", "from", "timeout") or key in query:
            raise ValueError(f"SMTP URL query parameter {key!r} is unknown or repeated")
        query[key] = value
    starttls = query.get("starttls", "").lower()
    if starttls not in _TRUE | _FALSE:
        raise ValueError("SMTP URL starttls must be 1 or 0")
    sender = query.get("from", "")
    if "@" not in parseaddr(sender)[1]:
        raise ValueError("SMTP URL needs from=<sender address>")
    try:
        timeout = float(query.get("timeout", "10"))
    except ValueError:
        raise ValueError("SMTP URL timeout is not a number of seconds") from None
    tls = parts.scheme == "smtps"
    return SmtpNotifier(
        parts.hostname,
        port or (465 if tls else 587 if starttls in _TRUE else 25),
        sender=sender,
        username=username,
        password=password,
        starttls=starttls in _TRUE,
        tls=tls,
        timeout=timeout,
    )


def notifiers_from_url(
    smtp_url: str, webhook_secret: str, sms_sender: Sender | None
) -> dict[str, StaffNotifier]:
    """A notifier per kind; a recorder for each kind the deployment has not configured."""
    return {
        "email": smtp_notifier_from_url(smtp_url) if smtp_url else RecordingNotifier("email"),
        "webhook": WebhookNotifier(secret=webhook_secret) if webhook_secret else RecordingNotifier("webhook"),
        "sms": SmsNotifier(sms_sender) if sms_sender is not None else RecordingNotifier("sms"),
    }

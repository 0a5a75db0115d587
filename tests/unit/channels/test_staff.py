"""Staff alert notifiers against local servers: an aiosmtpd relay, an HTTP receiver, a fake SMS sender."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hmac
import ipaddress
import json
import logging
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from channels.base import OutboundMessage, SendResult
from channels.errors import ChannelConfigError, SendFailed
from channels.staff import (
    Recorded,
    RecordingNotifier,
    SmsNotifier,
    SmtpNotifier,
    StaffAlert,
    StaffNotifier,
    WebhookNotifier,
    notifiers_from_url,
    signature,
)

pytestmark = pytest.mark.unit

LOCALHOST = "127.0.0.1"
SECRET = "test-webhook-secret"
SENDER = "Dalili <dalili@example.org>"
OFFICER = "duty.officer@example.org"
PHONE = "+211912345678"
ALERT = StaffAlert(
    subject="Dalili P1 alerte #123 — Yei",
    text="P1: attaque signalée près de Yei, 3 sources indépendantes.",
    url="https://dalili.example.org/incidents/123",
    data={"incident_id": 123, "priority": "P1", "event": "incident.escalated", "url": "ignored"},
)


def free_port() -> int:
    """A port nothing listens on (aiosmtpd's Controller cannot bind port 0 and report it)."""
    with socket.socket() as probe:
        probe.bind((LOCALHOST, 0))
        port: int = probe.getsockname()[1]
    return port


# --- SMTP -------------------------------------------------------------------------------------------


@dataclass
class Inbox:
    """aiosmtpd handler: keeps accepted envelopes; an ``*_answer`` makes it refuse that command."""

    envelopes: list[Envelope] = field(default_factory=list)
    authenticated: list[bool] = field(default_factory=list)
    mail_answer: str = ""
    rcpt_answer: str = ""
    data_answer: str = ""

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.mail_answer:
            return self.mail_answer
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.rcpt_answer:
            return self.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_answer:
            return self.data_answer
        self.envelopes.append(envelope)
        self.authenticated.append(bool(session.authenticated))
        return "250 Message accepted for delivery"

    def received(self) -> EmailMessage:
        (envelope,) = self.envelopes
        assert isinstance(envelope.content, bytes)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class Relay:
    inbox: Inbox
    port: int


def start_relay(**smtp_options: Any) -> tuple[Controller, Relay]:
    inbox = Inbox()
    controller = Controller(inbox, hostname=LOCALHOST, port=free_port(), **smtp_options)
    controller.start()
    return controller, Relay(inbox, controller.port)


@pytest.fixture
def relay() -> Iterator[Relay]:
    controller, relay = start_relay()
    yield relay
    controller.stop()


def test_an_email_reaches_the_relay_with_subject_recipient_and_link(relay: Relay) -> None:
    notifier = SmtpNotifier(LOCALHOST, relay.port, sender=SENDER)
    delivery_id = notifier.notify(OFFICER, ALERT)
    (envelope,) = relay.inbox.envelopes
    assert envelope.mail_from == "dalili@example.org"
    assert envelope.rcpt_tos == [OFFICER]
    message = relay.inbox.received()
    assert message["Subject"] == ALERT.subject
    assert message["To"] == OFFICER
    assert message["From"] == SENDER
    assert message["Message-ID"] == delivery_id
    assert delivery_id.endswith("@example.org>")
    assert message["Date"]
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    body = message.get_content()
    assert ALERT.text in body
    assert ALERT.url in body


def test_a_newline_in_the_subject_cannot_inject_a_header(relay: Relay) -> None:
    alert = StaffAlert("P1 alert\r\nBcc: someone@example.net", ALERT.text, ALERT.url, {})
    SmtpNotifier(LOCALHOST, relay.port, sender=SENDER).notify(OFFICER, alert)
    message = relay.inbox.received()
    assert message["Subject"] == "P1 alert Bcc: someone@example.net"
    assert message["Bcc"] is None


@pytest.mark.parametrize("address", ["not-an-address", "a@example.org\r\nBcc: b@example.org", ""])
def test_a_malformed_email_address_fails_for_good_without_connecting(address: str) -> None:
    with pytest.raises(SendFailed) as raised:
        SmtpNotifier(LOCALHOST, free_port(), sender=SENDER).notify(address, ALERT)
    assert (raised.value.retryable, raised.value.code) == (False, "invalid-address")


@pytest.mark.parametrize(
    ("command", "answer", "refusal", "retryable"),
    [
        ("mail", "553 5.7.1 Sender not allowed", smtplib.SMTPSenderRefused, False),
        ("mail", "451 4.7.1 Try again later", smtplib.SMTPSenderRefused, True),
        ("rcpt", "550 5.1.1 No such mailbox", smtplib.SMTPRecipientsRefused, False),
        ("rcpt", "450 4.2.0 Greylisted, try later", smtplib.SMTPRecipientsRefused, True),
        ("data", "554 5.7.1 Rejected as spam", smtplib.SMTPDataError, False),
        ("data", "451 4.3.0 Local problem", smtplib.SMTPDataError, True),
    ],
)
def test_relay_refusals_are_retryable_only_when_temporary(
    relay: Relay, command: str, answer: str, refusal: type[Exception], retryable: bool
) -> None:
    setattr(relay.inbox, f"{command}_answer", answer)
    with pytest.raises(SendFailed) as raised:
        SmtpNotifier(LOCALHOST, relay.port, sender=SENDER).notify(OFFICER, ALERT)
    assert (raised.value.retryable, raised.value.code) == (retryable, "smtp-" + answer[:3])
    assert isinstance(raised.value.__cause__, refusal)
    assert relay.inbox.envelopes == []


def test_an_unreachable_relay_is_retryable() -> None:
    with pytest.raises(SendFailed) as raised:
        SmtpNotifier(LOCALHOST, free_port(), sender=SENDER, timeout=2).notify(OFFICER, ALERT)
    assert (raised.value.retryable, raised.value.code) == (True, "unreachable")


def test_a_relay_without_starttls_is_a_configuration_error(relay: Relay) -> None:
    with pytest.raises(SendFailed) as raised:
        SmtpNotifier(LOCALHOST, relay.port, sender=SENDER, starttls=True).notify(OFFICER, ALERT)
    assert (raised.value.retryable, raised.value.code) == (False, "smtp-unsupported")


# TLS: a throwaway CA-less self-signed certificate for 127.0.0.1, trusted by patching the client context.


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dalili test relay")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(LOCALHOST))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture
def trust_test_certificate(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The notifier verifies certificates as in production, against the test certificate only."""

    original = ssl.create_default_context

    def client_context(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        kwargs.setdefault("cafile", str(certificate[0]))
        return original(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", client_context)


def check_login(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"dalili", b"s3cret:/@")
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


@pytest.mark.usefixtures("trust_test_certificate")
@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_login_over_starttls_or_implicit_tls(certificate: tuple[Path, Path], mode: str) -> None:
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(*map(str, certificate))
    tls_options: dict[str, Any] = (
        {"tls_context": server_context, "require_starttls": True}
        if mode == "starttls"
        # aiosmtpd only counts STARTTLS as TLS, so it must be told that AUTH is fine on implicit TLS.
        else {"ssl_context": server_context, "auth_require_tls": False}
    )
    controller, relay = start_relay(authenticator=check_login, **tls_options)
    try:
        url = f"smtp{'s' if mode == 'tls' else ''}://dalili:s3cret%3A%2F%40@{LOCALHOST}:{relay.port}"
        url += "?from=dalili%40example.org" + ("&starttls=1" if mode == "starttls" else "")
        notifier = notifiers_from_url(url, "", None)["email"]
        assert notifier.notify(OFFICER, ALERT)
        assert relay.inbox.received()["Subject"] == ALERT.subject
        assert relay.inbox.authenticated == [True]
    finally:
        controller.stop()


def test_a_wrong_password_is_not_retryable(
    certificate: tuple[Path, Path], trust_test_certificate: None
) -> None:
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(*map(str, certificate))
    controller, relay = start_relay(
        authenticator=check_login, ssl_context=server_context, auth_require_tls=False
    )
    try:
        notifier = SmtpNotifier(
            LOCALHOST, relay.port, sender=SENDER, username="dalili", password="wrong", tls=True
        )
        with pytest.raises(SendFailed) as raised:
            notifier.notify(OFFICER, ALERT)
        assert (raised.value.retryable, raised.value.code) == (False, "smtp-535")
        assert relay.inbox.envelopes == []
    finally:
        controller.stop()


# --- Webhook ----------------------------------------------------------------------------------------


@dataclass
class Receiver:
    url: str
    status: int = 204
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            receiver.requests.append((dict(self.headers.items()), body))
            self.send_response(receiver.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((LOCALHOST, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    receiver.url = f"http://{LOCALHOST}:{server.server_port}/hooks/dalili?token=abc"
    yield receiver
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_webhook_posts_signed_json(receiver: Receiver) -> None:
    before = int(time.time())
    delivery_id = WebhookNotifier(secret=SECRET).notify(receiver.url, ALERT)
    ((headers, body),) = receiver.requests
    assert json.loads(body) == {
        "subject": ALERT.subject,
        "text": ALERT.text,
        "url": ALERT.url,  # the alert's link wins over a same-named data field
        "incident_id": 123,
        "priority": "P1",
        "event": "incident.escalated",
    }
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    timestamp = headers["X-Dalili-Timestamp"]
    assert before <= int(timestamp) <= time.time()
    assert hmac.compare_digest(headers["X-Dalili-Signature"], signature(SECRET, timestamp, body))
    assert headers["X-Dalili-Delivery"] == delivery_id


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    # Independent vector: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac key
    assert signature("key", "1700000000", b'{"a":1}') == (
        "sha256=" + hmac.new(b"key", b'1700000000.{"a":1}', "sha256").hexdigest()
    )
    assert signature("key", "1700000000", b'{"a":1}') != signature("key", "1700000001", b'{"a":1}')


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (500, True),
        (503, True),
        (429, True),
        (408, True),
        (400, False),
        (404, False),
        (410, False),
        (301, False),
    ],
)
def test_webhook_answers_other_than_2xx_fail(receiver: Receiver, status: int, retryable: bool) -> None:
    receiver.status = status
    with pytest.raises(SendFailed) as raised:
        WebhookNotifier(secret=SECRET).notify(receiver.url, ALERT)
    assert (raised.value.retryable, raised.value.code) == (retryable, f"http-{status}")


def test_a_refused_webhook_connection_is_retryable() -> None:
    with pytest.raises(SendFailed) as raised:
        WebhookNotifier(secret=SECRET).notify(f"http://{LOCALHOST}:{free_port()}/hook?token=abc", ALERT)
    assert (raised.value.retryable, raised.value.code) == (True, "unreachable")
    assert "token=abc" not in str(raised.value)
    assert raised.value.__cause__ is None, "the URL may be a credential: no chained requests error"


def test_a_silent_webhook_times_out_as_retryable() -> None:
    with socket.socket() as listener:  # accepts the TCP handshake, never answers
        listener.bind((LOCALHOST, 0))
        listener.listen(1)
        url = f"http://{LOCALHOST}:{listener.getsockname()[1]}/hook"
        with pytest.raises(SendFailed) as raised:
            WebhookNotifier(secret=SECRET, timeout=0.2).notify(url, ALERT)
    assert (raised.value.retryable, raised.value.code) == (True, "unreachable")


@pytest.mark.parametrize("address", ["ftp://example.org/hook", "not a url", ""])
def test_an_unusable_webhook_address_fails_for_good(address: str) -> None:
    with pytest.raises(SendFailed) as raised:
        WebhookNotifier(secret=SECRET).notify(address, ALERT)
    assert (raised.value.retryable, raised.value.code) == (False, "invalid-address")


# --- SMS --------------------------------------------------------------------------------------------


@dataclass
class FakeSender:
    provider: str = "fake"
    sent: list[OutboundMessage] = field(default_factory=list)
    error: Exception | None = None

    def send(self, message: OutboundMessage) -> SendResult:
        if self.error is not None:
            raise self.error
        self.sent.append(message)
        return SendResult(f"SM{len(self.sent):032d}", "accepted")


def test_an_sms_carries_the_text_and_the_link() -> None:
    sender = FakeSender()
    assert SmsNotifier(sender).notify(PHONE, ALERT) == "SM" + "0" * 31 + "1"
    assert sender.sent == [OutboundMessage(to=PHONE, text=f"{ALERT.text} {ALERT.url}", channel="sms")]


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (SendFailed("throttled", retryable=True, code="20429"), True),
        (SendFailed("unreachable number", retryable=False, code="21211"), False),
        (ChannelConfigError("no Twilio sender configured for sms"), False),
    ],
)
def test_sender_failures_surface_as_send_failed(error: Exception, retryable: bool) -> None:
    with pytest.raises(SendFailed) as raised:
        SmsNotifier(FakeSender(error=error)).notify(PHONE, ALERT)
    assert raised.value.retryable is retryable


# --- Recording and configuration --------------------------------------------------------------------


def test_the_recorder_keeps_every_alert_from_many_threads() -> None:
    recorder = RecordingNotifier("sms")

    def burst() -> None:
        for _ in range(200):
            recorder.notify(PHONE, ALERT)

    threads = [threading.Thread(target=burst) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(recorder.sent) == 1600
    assert recorder.sent[0] == ("sms", PHONE, ALERT.subject, ALERT.text, ALERT.url)
    assert recorder.sent[0] == Recorded("sms", PHONE, ALERT.subject, ALERT.text, ALERT.url)


def test_unconfigured_kinds_get_recorders() -> None:
    notifiers = notifiers_from_url("", "", None)
    assert set(notifiers) == {"email", "webhook", "sms"}
    for kind, notifier in notifiers.items():
        assert isinstance(notifier, RecordingNotifier)
        assert notifier.kind == "recorded"
        notifier.notify("someone", ALERT)
        assert notifier.sent[0].kind == kind


def test_configured_kinds_get_real_notifiers() -> None:
    sender = FakeSender()
    notifiers = notifiers_from_url(
        "smtp://user%40example.org:p%40ss@mail.example.org:2525?starttls=1&from=dalili@example.org",
        SECRET,
        sender,
    )
    email_notifier, webhook, sms = notifiers["email"], notifiers["webhook"], notifiers["sms"]
    assert isinstance(email_notifier, SmtpNotifier)
    assert (email_notifier.host, email_notifier.port, email_notifier.username) == (
        "mail.example.org",
        2525,
        "user@example.org",
    )
    assert (email_notifier.sender, email_notifier.starttls, email_notifier.tls) == (
        "dalili@example.org",
        True,
        False,
    )
    assert isinstance(webhook, WebhookNotifier)
    assert isinstance(sms, SmsNotifier)
    assert sms.sender is sender


@pytest.mark.parametrize(
    ("url", "port", "starttls", "tls"),
    [
        ("smtp://localhost?from=a@example.org", 25, False, False),
        ("smtp://relay.example.org?starttls=true&from=a@example.org", 587, True, False),
        ("smtps://relay.example.org?from=a@example.org&timeout=3", 465, False, True),
    ],
)
def test_smtp_ports_default_by_security(url: str, port: int, starttls: bool, tls: bool) -> None:
    notifier = notifiers_from_url(url, "", None)["email"]
    assert isinstance(notifier, SmtpNotifier)
    assert (notifier.port, notifier.starttls, notifier.tls) == (port, starttls, tls)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://u:hunter2@relay.example.org?from=a@example.org", "smtp://"),
        ("hunter2@relay.example.org?from=a@example.org", "smtp://"),
        ("smtp://u:hunter2@?from=a@example.org", "no host"),
        ("smtp://u:hunter2@relay.example.org:99999?from=a@example.org", "port"),
        ("smtp://u:hunter2@relay.example.org:abc?from=a@example.org", "port"),
        ("smtp://u:hunter2@relay.example.org/inbox?from=a@example.org", "path"),
        ("smtp://:hunter2@relay.example.org?from=a@example.org", "no user name"),
        ("smtp://u:hunter2@relay.example.org?from=a@example.org&tls=1", "'tls'"),
        ("smtp://u:hunter2@relay.example.org?from=a@example.org&from=b@example.org", "'from'"),
        ("smtp://u:hunter2@relay.example.org?starttls=maybe&from=a@example.org", "starttls"),
        ("smtp://u:hunter2@relay.example.org", "from="),
        ("smtp://u:hunter2@relay.example.org?from=dalili", "from="),
        ("smtp://u:hunter2@relay.example.org?from=a@example.org&timeout=soon", "timeout"),
    ],
)
def test_a_bad_smtp_url_names_the_problem_but_not_the_password(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as raised:
        notifiers_from_url(url, "", None)
    assert "hunter2" not in str(raised.value)


# --- Contract: every kind ---------------------------------------------------------------------------


@pytest.fixture(params=["email", "webhook", "sms", "recorded"])
def deployed(request: pytest.FixtureRequest) -> tuple[StaffNotifier, str]:
    """Each kind of notifier with an address its local fake accepts."""
    builders: dict[str, Callable[[], tuple[StaffNotifier, str]]] = {
        "email": lambda: (
            SmtpNotifier(LOCALHOST, request.getfixturevalue("relay").port, sender=SENDER),
            OFFICER,
        ),
        "webhook": lambda: (WebhookNotifier(secret=SECRET), request.getfixturevalue("receiver").url),
        "sms": lambda: (SmsNotifier(FakeSender()), PHONE),
        "recorded": lambda: (RecordingNotifier(), OFFICER),
    }
    notifier, address = builders[request.param]()
    assert notifier.kind == request.param
    return notifier, address


def test_every_notifier_returns_a_delivery_id_and_logs_no_address(
    deployed: tuple[StaffNotifier, str], caplog: pytest.LogCaptureFixture
) -> None:
    notifier, address = deployed
    with caplog.at_level(logging.DEBUG, logger="channels.staff"):
        delivery_id = notifier.notify(address, ALERT)
    assert isinstance(delivery_id, str)
    assert delivery_id.strip()
    ours = [record.getMessage() for record in caplog.records if record.name == "channels.staff"]
    assert any(delivery_id in line for line in ours)
    assert not any(address in line for line in ours)

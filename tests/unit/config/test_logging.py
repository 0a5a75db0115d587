from __future__ import annotations

import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from config.logging import GunicornLogger, RedactSecrets, accepted_request_id

pytestmark = pytest.mark.unit


def _render(message: str, *args: object) -> str:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, message, args, None)
    RedactSecrets().filter(record)
    return record.getMessage()


@pytest.mark.parametrize(
    "number", ["+211912345678", "+211 912 345 678", "+243-81-234-5678", "211912345678", "0912345678"]
)
def test_phone_numbers_never_reach_a_log_line(number: str) -> None:
    line = _render("sender %s wrote", number)
    assert number not in line
    assert "[redacted]" in line


@pytest.mark.parametrize(
    ("request_line", "secret"),
    [
        ("POST /webhooks/africastalking/sms?token=at-secret-0f9e HTTP/1.1", "at-secret-0f9e"),
        ("POST /webhooks/africastalking/sms?mode=training&TOKEN=at-secret-0f9e HTTP/1.1", "at-secret-0f9e"),
        ("GET /simulator/replies?phone=%2B211912345678 HTTP/1.1", "211912345678"),
        ("GET /simulator/replies?phone=0912+345+678 HTTP/1.1", "345+678"),
        ("GET /simulator/replies?other=1&phone=0912%20345%20678 HTTP/1.1", "345%20678"),
        ("GET /somewhere?next=%2B211%20912%20345%20678 HTTP/1.1", "912%20345"),
    ],
)
def test_secret_parameters_and_encoded_numbers_never_reach_a_log_line(request_line: str, secret: str) -> None:
    line = _render('%s - - "%s" 200', "196.201.214.10", request_line)
    assert secret not in line
    assert "[redacted]" in line


@pytest.mark.parametrize(
    "harmless",
    [
        "2026-11-27 02:59:46",
        "127.0.0.1:5000",
        "report 1234 in P1",
        "job inbound-42",
        "GET /api/reports?limit=50",
    ],
)
def test_dates_addresses_and_ids_stay_readable(harmless: str) -> None:
    assert _render("at %s", harmless) == f"at {harmless}"


@pytest.mark.parametrize(
    "header", ["4bf92f3577b34da6", "trace-abc.42_x", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"]
)
def test_a_well_formed_request_id_is_kept(header: str) -> None:
    assert accepted_request_id(header) == header


@pytest.mark.parametrize(
    "header",
    ["+211912345678", "211912345678", "0912-345-678", "0912.345.678", "a b", "x" * 65, "", "id\nforged"],
)
def test_a_number_or_malformed_request_id_is_refused(header: str) -> None:
    assert accepted_request_id(header) is None


def test_gunicorns_access_line_holds_no_token_no_number(capsys: pytest.CaptureFixture[str]) -> None:
    """The logger class the Procfile names, given the environ gunicorn builds for a real request
    (and a format that also prints the caller's request id)."""
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", '%(h)s "%(r)s" %(s)s %({x-request-id}i)s')
    logger = GunicornLogger(cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/simulator/replies?phone=%2B211912345678&token=at-secret-0f9e",
        "PATH_INFO": "/simulator/replies",
        "QUERY_STRING": "phone=%2B211912345678&token=at-secret-0f9e",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "196.201.214.10",
    }
    response = SimpleNamespace(status="200 OK", sent=2, headers=[])
    request = SimpleNamespace(headers=[("X-REQUEST-ID", "+211912345678")])
    logger.access(response, request, environ, timedelta(milliseconds=3))
    line = capsys.readouterr().out
    assert '"GET /simulator/replies?phone=[redacted]&token=[redacted] HTTP/1.1" 200 [redacted]' in line
    assert "211912345678" not in line
    assert "at-secret" not in line

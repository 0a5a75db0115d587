from __future__ import annotations

import logging

import pytest

from config.logging import RedactPhoneNumbers

pytestmark = pytest.mark.unit


def _render(message: str, *args: object) -> str:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, message, args, None)
    RedactPhoneNumbers().filter(record)
    return record.getMessage()


@pytest.mark.parametrize(
    "number", ["+211912345678", "+211 912 345 678", "+243-81-234-5678", "211912345678", "0912345678"]
)
def test_phone_numbers_never_reach_a_log_line(number: str) -> None:
    line = _render("sender %s wrote", number)
    assert number not in line
    assert "[redacted]" in line


@pytest.mark.parametrize(
    "harmless", ["2026-11-27 02:59:46", "127.0.0.1:5000", "report 1234 in P1", "job inbound-42"]
)
def test_dates_addresses_and_ids_stay_readable(harmless: str) -> None:
    assert _render("at %s", harmless) == f"at {harmless}"

from __future__ import annotations

import pytest

from channels.phone import canonical_address, pseudonymise

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "region", "canonical"),
    [
        ("+211912345678", "SS", "+211912345678"),
        ("+211 912 345 678", "SS", "+211912345678"),
        ("0912345678", "SS", "+211912345678"),
        ("whatsapp:+243812345678", "SS", "+243812345678"),
        ("072 123 4567", "CF", "072 123 4567"),  # impossible for CAR: kept as given, still hashed
        ("384387", "SS", "384387"),  # short code
        ("whatsapp:US.13491208655302741918", "SS", "US.13491208655302741918"),  # WhatsApp BSUID
        ("+254711XXXYYY", "KE", "+254711XXXYYY"),  # masked: letters are not keypad digits here
        ("MTN", "SS", "MTN"),  # alphanumeric sender id
    ],
)
def test_sender_addresses_are_canonicalised(raw: str, region: str, canonical: str) -> None:
    assert canonical_address(raw, region) == canonical


def test_the_same_woman_gets_the_same_key_however_her_number_is_written() -> None:
    keys = {
        pseudonymise(raw, pepper="p", default_region="SS")
        for raw in ("+211912345678", "+211 912 345 678", "0912345678", "whatsapp:+211912345678")
    }
    assert len(keys) == 1

from __future__ import annotations

import pytest

from alerts.reporters.body_numbers import mask_numbers, may_hold_a_number

pytestmark = pytest.mark.unit

SS = ("SS",)


def _masked_text(text: str, regions: tuple[str, ...] = SS) -> str:
    return str(mask_numbers({"text": text}, {}, regions).content["text"])


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("call me on 0912 345 678", "call me on [number 1]"),
        ("ARM Yei +211 912 345 678 please", "ARM Yei [number 1] please"),
        ("ring 0912-345-678 or 0955123456", "ring [number 1] or [number 2]"),
        ("tel:0912345678", "tel:[number 1]"),
        ("whatsapp +256 772 123456 in Kajo Keji", "whatsapp [number 1] in Kajo Keji"),
    ],
)
def test_numbers_she_writes_become_placeholders(text: str, masked: str) -> None:
    assert _masked_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "ARM Yei 12/03/2024 at 14:30",
        "FIG 2024-03-12 10:00 near Bor",
        "12.03.2024 and 20240312",
        "300 people displaced, 1200000 in the county",
        "3 killed 12 wounded since 2024",
        "SS0101 SS010203 Bentiu",
        "at 4.859431, 31.571234",
        "N 04 51.5 E 031 34.2",
        "UTM 36N 345678 537654, ID 123456789",
        "9:30 to 11:45, 14h30",
    ],
)
def test_dates_times_counts_pcodes_and_coordinates_stay(text: str) -> None:
    assert _masked_text(text) == text


def test_a_local_number_is_read_in_her_networks_country_too() -> None:
    assert _masked_text("appelez le 75 12 34 56 a Bangui") == "appelez le 75 12 34 56 a Bangui"
    assert _masked_text("appelez le 75 12 34 56 a Bangui", ("CF", "SS")) == "appelez le [number 1] a Bangui"


def test_every_copy_loses_the_digits_and_a_repeated_number_keeps_its_placeholder() -> None:
    body = "call 0912 345 678, again 0912 345 678, or +211955123456"
    masked = mask_numbers(
        {"text": body, "place_text": "Yei 0955123456"}, {"Body": body, "To": "+15005550006", "n": [body]}, SS
    )
    expected = "call [number 1], again [number 1], or [number 2]"
    assert masked.content == {"text": expected, "place_text": "Yei [number 2]"}
    assert masked.payload == {"Body": expected, "To": "+15005550006", "n": [expected]}
    assert masked.numbers == ("+211912345678", "+211955123456")


def test_a_message_without_a_number_is_returned_as_it_came() -> None:
    content, payload = {"text": "FIG Bentiu gunfire"}, {"Body": "FIG Bentiu gunfire"}
    assert not may_hold_a_number(content)
    masked = mask_numbers(content, payload, SS)
    assert (masked.content, masked.payload, masked.numbers) == (content, payload, ())


@pytest.mark.parametrize("text", ["0912 345 678", "+211-912-345-678", "(0912) 345678"])
def test_the_cheap_test_lets_every_written_number_through(text: str) -> None:
    assert may_hold_a_number({"text": f"call {text}"})

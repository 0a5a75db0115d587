"""Phone numbers she writes in her own words ("call me on 0912 345 678") are sealed at intake (R27, R28).

A number in a message identifies her, or someone she names, as surely as her sender address: it is
replaced by a placeholder (``[number 1]``) in every stored copy of the message, its digits go to the
contact vault, and the panic word erases them with the rest of her contact data (R33).

Detection is libphonenumber's matcher at its VALID leniency, which already passes over dates, times,
counts, P-codes (letters touch the digits) and coordinates; numbers without a country code are read
as local to her network's country and the deployment's default one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import phonenumbers

from alerts.reporters.retention import VAULT_DAYS
from alerts.reporters.vault import Vault

PLACEHOLDER = "[number {}]"
MAY_HOLD_A_NUMBER = re.compile(r"\d(?:[^\w\n]{0,2}\d){6}")
"""Seven digits with at most short separators between them: the cheap test before the matcher (no
number of any region served is shorter), and before any database read for her network's country."""
NUMBER_FIELDS = ("text", "place_text")
"""The content fields where she writes freely (SMS and WhatsApp text, a USSD place typed by hand)."""


@dataclass(frozen=True, slots=True)
class NumberSeal:
    """What intake needs to seal the numbers of a message."""

    vault: Vault
    default_region: str
    """ISO code of the deployment's country, for local numbers when her network is not known."""
    days: int = VAULT_DAYS
    """How long a sealed number is kept, like her own in the contact vault."""


@dataclass(frozen=True, slots=True)
class Masked:
    content: dict[str, Any]
    payload: dict[str, Any]
    numbers: tuple[str, ...]
    """E.164 forms, in the order of their placeholders (``[number 1]`` is the first)."""


def may_hold_a_number(content: dict[str, Any]) -> bool:
    return any(MAY_HOLD_A_NUMBER.search(str(content.get(name) or "")) for name in NUMBER_FIELDS)


def mask_numbers(content: dict[str, Any], payload: dict[str, Any], regions: tuple[str, ...]) -> Masked:
    """Content and payload with each number she wrote replaced by its placeholder, and the numbers.

    The payload holds the provider's copy of her words (``Body``, ``text``): every string in it loses
    the same numbers, as written, so no copy keeps the digits.
    """
    numbers: list[str] = []
    written: dict[str, str] = {}
    for name in NUMBER_FIELDS:
        if isinstance(value := content.get(name), str):
            for raw, number in _numbers_in(value, regions):
                if number not in numbers:
                    numbers.append(number)
                written[raw] = PLACEHOLDER.format(numbers.index(number) + 1)
    if not written:
        return Masked(content, payload, ())
    longest_first = sorted(written, key=len, reverse=True)  # "0912 345 678" before "345 678"

    def replace(value: Any) -> Any:
        if isinstance(value, str):
            for raw in longest_first:
                value = value.replace(raw, written[raw])
            return value
        if isinstance(value, dict):
            return {k: replace(v) for k, v in value.items()}
        if isinstance(value, list):
            return [replace(v) for v in value]
        return value

    return Masked(replace(content), replace(payload), tuple(numbers))


def _numbers_in(text: str, regions: tuple[str, ...]) -> list[tuple[str, str]]:
    """Each number in ``text`` as written and in E.164, reading local ones in each region in turn."""
    found: dict[str, str] = {}
    for region in regions:
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            found.setdefault(
                match.raw_string,
                phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164),
            )
    return list(found.items())

"""SMS part counting (CHANNELS.md §11): the reference the template tests hold every template to (R9).

Production only needs to know that a template fits one SMS, and `channels.messages.check_templates`
decides that from septets and UTF-16 units; counting parts the way a handset concatenates them is an
independent check of that decision, so it lives here, beside the tests that use it.
"""

from __future__ import annotations

from collections.abc import Iterable

from channels.gsm import GSM7_SINGLE, UCS2_SINGLE, is_gsm7, septets

GSM7_PART = 153
UCS2_PART = 67


def encoding(text: str) -> str:
    """``GSM-7`` or ``UCS-2``: one character outside GSM 03.38 turns the whole message UCS-2."""
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def _parts(costs: Iterable[int], part: int) -> int:
    # An escape pair or a surrogate pair is never split across parts, so fill greedily by character.
    count, used = 1, 0
    for cost in costs:
        if used + cost > part:
            count, used = count + 1, 0
        used += cost
    return count


def segments(text: str) -> int:
    """SMS parts the text needs (at least 1): GSM-7 160 or 153 per part, UCS-2 70 or 67 UTF-16 units."""
    if is_gsm7(text):
        costs = [septets(ch) for ch in text]
        return 1 if sum(costs) <= GSM7_SINGLE else _parts(costs, GSM7_PART)
    units = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return 1 if sum(units) <= UCS2_SINGLE else _parts(units, UCS2_PART)


def fits_one_sms(text: str) -> bool:
    """True when the text goes out as a single SMS."""
    return segments(text) == 1

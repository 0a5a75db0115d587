"""SMS encoding arithmetic: GSM 03.38 septets, UCS-2 units and segment counts (CHANNELS.md §11, R9)."""

from __future__ import annotations

from collections.abc import Iterable

# GSM 03.38 default alphabet, positions 0x00-0x7F; 0x1B is the escape to the extension table, not text.
BASIC_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
ESCAPE = "\x1b"
EXTENSION_TABLE: dict[int, str] = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}

GSM7_SINGLE = 160
GSM7_PART = 153
UCS2_SINGLE = 70
UCS2_PART = 67

_BASIC = frozenset(BASIC_TABLE) - {ESCAPE}
_EXTENDED = frozenset(EXTENSION_TABLE.values())

assert len(BASIC_TABLE) == 128


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM 03.38 basic or extension table."""
    return all(ch in _BASIC or ch in _EXTENDED for ch in text)


def _septet_costs(text: str) -> list[int]:
    costs = []
    for index, ch in enumerate(text):
        if ch in _BASIC:
            costs.append(1)
        elif ch in _EXTENDED:
            costs.append(2)
        else:
            raise ValueError(f"{ch!r} at position {index} is not in the GSM 03.38 alphabet")
    return costs


def septets(text: str) -> int:
    """Septets the text takes in GSM-7 (extension characters count 2); ValueError if not GSM-7."""
    return sum(_septet_costs(text))


def utf16_units(text: str) -> int:
    """Length in UTF-16 code units, the unit of UCS-2 SMS limits (most emoji count 2)."""
    return len(text.encode("utf-16-le")) // 2


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
        costs = _septet_costs(text)
        return 1 if sum(costs) <= GSM7_SINGLE else _parts(costs, GSM7_PART)
    units = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return 1 if sum(units) <= UCS2_SINGLE else _parts(units, UCS2_PART)


def fits_one_sms(text: str) -> bool:
    """True when the text goes out as a single SMS."""
    return segments(text) == 1

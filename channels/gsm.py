"""SMS encoding arithmetic: GSM 03.38 septets and UCS-2 units (CHANNELS.md §11, R9)."""

from __future__ import annotations

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
UCS2_SINGLE = 70

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

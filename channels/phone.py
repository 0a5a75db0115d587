"""Sender addresses to a canonical form, then to a pseudonym, at the point of entry (R27)."""

from __future__ import annotations

import phonenumbers

from alerts.reporters.pseudonym import reporter_key

WHATSAPP_PREFIX = "whatsapp:"


def canonical_address(raw: str, default_region: str) -> str:
    """E.164 for phone numbers; a provider's other ids (short codes, WhatsApp BSUIDs) kept as given."""
    address = raw.strip().removeprefix(WHATSAPP_PREFIX)
    if "." in address or any(ch.isalpha() for ch in address):
        return address  # a BSUID or sender name; letters would be read as keypad digits (CHANNELS.md §12)
    try:
        number = phonenumbers.parse(address, default_region)
    except phonenumbers.NumberParseException:
        return address
    if not phonenumbers.is_possible_number(number):
        return address
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def pseudonymise(raw: str, *, pepper: str, default_region: str) -> str:
    """Return the reporter key for a raw sender address; the address itself goes no further."""
    return reporter_key(canonical_address(raw, default_region), pepper)

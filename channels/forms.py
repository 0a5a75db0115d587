"""One decoder for providers' form-encoded webhook fields.

Whether surrounding white space is stripped is a choice per field, so every call states it: identifiers,
flags and codes are stripped (a stray space is the provider's, not part of the id), while her words and
the addresses that are pseudonymised are read as sent (a space in free text is hers, and pseudonymise
reads the number itself). Which provider strips what is pinned by the tests of each parser.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from channels.errors import PayloadInvalid


def _within(name: str, value: str, max_length: int | None) -> str:
    if max_length is not None and len(value) > max_length:
        raise PayloadInvalid(f"field '{name}' longer than {max_length} characters")
    return value


def required(
    form: Mapping[str, str],
    name: str,
    *,
    strip: bool,
    max_length: int | None = None,
    aliases: Sequence[str] = (),
) -> str:
    """A field that is not blank, or PayloadInvalid naming it; ``aliases`` are older names of the same
    field, read in order when ``name`` is blank."""
    value = next((form[key] for key in (name, *aliases) if form.get(key, "").strip()), "")
    if not value:
        raise PayloadInvalid(f"field '{name}' required")
    return _within(name, value.strip() if strip else value, max_length)


def optional(form: Mapping[str, str], name: str, *, strip: bool, max_length: int | None = None) -> str:
    """A field that may be absent ("" then)."""
    value = form.get(name, "")
    return _within(name, value.strip() if strip else value, max_length)


def whole_number(value: str, maximum: int) -> int | None:
    """The value as a number from 0 to ``maximum``, or None: a count must not size a loop, a list or a
    column beyond what its sender can really send."""
    value = value.strip()
    digits = value.isascii() and value.isdigit() and len(value) <= len(str(maximum))
    return int(value) if digits and int(value) <= maximum else None

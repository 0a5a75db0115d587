"""Text clean-up that every report gets before classification."""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """Control characters dropped, Unicode NFKC, runs of whitespace collapsed.

    Controls go first: one between a letter and its combining mark would otherwise keep the two
    from composing, and the result would not be NFKC (nor the same on a second pass)."""
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    text = unicodedata.normalize("NFKC", text)
    return _SPACE.sub(" ", text).strip()

"""Text clean-up that every report gets before classification."""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """Unicode NFKC, control characters dropped, runs of whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return _SPACE.sub(" ", text).strip()

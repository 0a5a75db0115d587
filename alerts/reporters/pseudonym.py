"""Reporter pseudonyms: a keyed hash of the E.164 number, never the number itself (R27)."""

from __future__ import annotations

import hashlib
import hmac


def reporter_key(address: str, pepper: str) -> str:
    """Return the HMAC-SHA-256 (hex) of a normalised sender address under the deployment pepper."""
    if not pepper:
        raise ValueError("a pepper is required to pseudonymise reporters")
    return hmac.new(pepper.encode(), address.encode(), hashlib.sha256).hexdigest()

"""Security headers: a strict Content-Security-Policy on pages, and no sniffing or leaking referrers."""

from __future__ import annotations

from flask import Response

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
"""Everything from this app, nothing inline (no template has a style attribute or inline script);
``base-uri`` because default-src does not cover it."""


def add_security_headers(response: Response) -> Response:
    """Add the headers unless a blueprint set its own (the simulator has a stricter policy)."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        # Pages show incidents and names: no copy left in a shared computer's cache.
        response.headers.setdefault("Cache-Control", "no-store")
    return response

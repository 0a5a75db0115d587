"""Security headers: a strict Content-Security-Policy on pages, no sniffing or leaking referrers, and
HTTPS only in production."""

from __future__ import annotations

from flask import Response

from app import current_services

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
"""Everything from this app, nothing inline (no template has a style attribute or inline script);
``base-uri`` because default-src does not cover it."""
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"
"""A year: once a browser has reached production over HTTPS, it never again tries plain http there
(where a network in the middle could read the session cookie or strip the redirect to https)."""


def add_security_headers(response: Response) -> Response:
    """Add the headers unless a blueprint set its own (the simulator has a stricter policy)."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if current_services().settings.is_production:  # production is HTTPS only (Settings.check_production)
        response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        # Pages show incidents and names: no copy left in a shared computer's cache.
        response.headers.setdefault("Cache-Control", "no-store")
    return response

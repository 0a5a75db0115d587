"""Error pages for people: browsers get a page in the layout, machines keep app/errors.py's JSON."""

from __future__ import annotations

import logging

from flask import Response, current_app, has_request_context, render_template, request
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_babel.speaklater import LazyString

from app.web.access import to_sign_in

logger = logging.getLogger(__name__)

MACHINE_PREFIXES = ("/api/", "/webhooks/", "/simulator/")
"""Paths answered in JSON (or provider formats) whatever the client accepts."""

PAGES: dict[int, tuple[LazyString, LazyString]] = {
    400: (
        _l("The form could not be accepted"),
        _l("It may have expired. Go back, reload the page and try again."),
    ),
    403: (
        _l("Not available to your role"),
        _l("Your role does not give access to this page. Ask an administrator if you need it."),
    ),
    404: (_l("Page not found"), _l("There is no page at this address.")),
    405: (_l("Not possible here"), _l("This address does not accept that kind of request.")),
    429: (_l("Too many attempts"), _l("Please wait before trying again.")),
}
GENERIC = (_l("Something went wrong"), _l("The problem has been logged. Try again in a moment."))


def wants_page() -> bool:
    """True for a browser asking for a page; API clients, webhooks and scripts get JSON."""
    if not has_request_context() or request.path.startswith(MACHINE_PREFIXES) or request.is_json:
        return False
    return request.accept_mimetypes.best_match(("application/json", "text/html")) == "text/html"


def error_page(status: int) -> Response | None:
    """The page for this status, or None when the request wants JSON (or the page cannot render)."""
    if not wants_page():
        return None
    if status == 401:
        return current_app.make_response(to_sign_in())
    try:
        return render_error(status)
    except Exception:  # a page that fails while reporting a failure must not hide the first one
        logger.exception("error page %s could not be rendered", status)
        return None


def render_error(status: int, *, wait_seconds: int = 0) -> Response:
    """Render error.html for ``status``; for 429, say how long to wait and send Retry-After."""
    heading, explanation = PAGES.get(status, GENERIC)
    text = str(explanation)
    if wait_seconds:
        minutes = max(1, -(-wait_seconds // 60))
        text = ngettext(
            "Too many failed sign-ins. Wait %(num)d minute, then try again.",
            "Too many failed sign-ins. Wait %(num)d minutes, then try again.",
            minutes,
        )
    page = render_template("error.html", heading=heading, explanation=text, status=status)
    response = current_app.make_response((page, status))
    if wait_seconds:
        response.headers["Retry-After"] = str(wait_seconds)
    return response

"""The dashboard language: her saved choice, else the browser's, else English; and the switcher."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, has_request_context, redirect, request, session, url_for
from flask_babel import get_locale
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers.response import Response

from alerts.accounts.users import DASHBOARD_LANGUAGES, set_user_language
from app import current_services
from app.web.access import safe_next, signed_in_viewer
from app.web.navigation import ROLE_LABELS, links_for

bp = Blueprint("language", __name__)

DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "ar": "العربية"}
"""Each language named in itself, so anyone can find her own."""
RIGHT_TO_LEFT = frozenset({"ar"})
CHOSEN = "language"
"""Session key: the language a visitor picked before signing in (saved to her account at sign-in)."""


def select_language() -> str:
    """flask-babel's locale selector."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    viewer = signed_in_viewer()
    if viewer is not None and viewer.language in DASHBOARD_LANGUAGES:
        return viewer.language
    chosen = session.get(CHOSEN)
    if chosen in DASHBOARD_LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(DASHBOARD_LANGUAGES) or DEFAULT_LANGUAGE


def page_context() -> dict[str, Any]:
    """What layout.html needs on every page."""
    if not has_request_context():
        return {}
    locale = get_locale()
    language = locale.language if locale is not None else DEFAULT_LANGUAGE
    viewer = signed_in_viewer()
    return {
        "viewer": viewer,
        "role_label": ROLE_LABELS.get(viewer.role, viewer.role) if viewer else "",
        "nav_links": links_for(viewer.role) if viewer else [],
        "page_language": language,
        "page_direction": "rtl" if language in RIGHT_TO_LEFT else "ltr",
        "languages": LANGUAGE_NAMES,
        "current_path": request.full_path.rstrip("?"),
    }


@bp.post("/language")
def choose() -> Response:
    """Switch language (the header's small form), saved on her account when she is signed in."""
    language = request.form.get("language", "")
    if language not in DASHBOARD_LANGUAGES:
        raise BadRequest(f"language must be one of {', '.join(DASHBOARD_LANGUAGES)}")
    session[CHOSEN] = language
    viewer = signed_in_viewer()
    if viewer is not None:
        set_user_language(viewer.user_id, language, uow=current_services().uow())
    return redirect(safe_next(request.form.get("next")) or url_for("auth.index"))

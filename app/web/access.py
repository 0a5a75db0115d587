"""Who is signed in, for the pages: ``current_viewer()`` and ``@requires_roles(...)``."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import abort, current_app, redirect, request, session, url_for
from flask_login import UserMixin, current_user
from werkzeug.wrappers.response import Response

from alerts.accounts.users import active_viewer
from alerts.messages import Viewer
from alerts.vocabulary import ROLES
from app import current_services

P = ParamSpec("P")
R = TypeVar("R")

SIGNED_IN_AT = "signed_in_at"
"""Session key: when she signed in (epoch seconds); the session ends a fixed time after it."""
SESSION_VERSION = "session_version"
"""Session key: her sign-in generation when she signed in; the session ends once her account's moves on
(sign-out, deactivation), since a cookie copied before cannot be taken back."""


class SignedIn(UserMixin):  # type: ignore[misc]  # reason: flask-login ships no type hints
    """flask-login's user: only the id travels in the cookie; the rest is reloaded per request."""

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer

    def get_id(self) -> str:
        return str(self.viewer.user_id)


def load_signed_in(user_id: str) -> SignedIn | None:
    """Reload her for this request: a deactivated user, an ended or expired session is signed out."""
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    signed_in_at = session.get(SIGNED_IN_AT)
    if not isinstance(signed_in_at, int) or time.time() - signed_in_at > lifetime:
        return None
    if not user_id.isascii() or not user_id.isdigit():
        return None
    viewer = active_viewer(int(user_id), uow=current_services().uow())
    if viewer is None or session.get(SESSION_VERSION) != viewer.session_version:
        return None
    return SignedIn(viewer)


def signed_in_viewer() -> Viewer | None:
    """The signed-in user, or None for a visitor."""
    if not current_user.is_authenticated:
        return None
    user: SignedIn = current_user._get_current_object()
    return user.viewer


def current_viewer() -> Viewer:
    """The signed-in user; a visitor is sent to the sign-in page instead."""
    viewer = signed_in_viewer()
    if viewer is None:
        abort(to_sign_in())
    return viewer


def requires_roles(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Let only these roles open the page: others get 403, visitors are sent to sign in first."""
    allowed = frozenset(roles)
    if not allowed or not allowed <= set(ROLES):
        raise ValueError(f"requires_roles takes roles of {', '.join(ROLES)}, not {sorted(allowed)}")

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            if current_viewer().role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


def to_sign_in() -> Response:
    """Redirect to the sign-in page, coming back here afterwards (for pages read with GET)."""
    here = request.full_path.rstrip("?") if request.method in ("GET", "HEAD") else None
    return redirect(url_for("auth.login", next=safe_next(here)))


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None: a sign-in never leads to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    # Browsers drop tabs and newlines from URLs, so "/\t/evil.org" would become "//evil.org".
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None

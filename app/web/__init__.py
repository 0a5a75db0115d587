"""The dashboard's web shell: sign-in, sessions, CSRF, language, page layout and security headers.

Pages built on it use ``app.web.access.current_viewer`` and ``requires_roles``, and extend the
``layout.html`` template.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from flask import Flask, request
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from app.web import (
    access,
    admin,
    audit,
    auth,
    contacts,
    headers,
    hotspots,
    language,
    oversight,
    quality,
    review,
)

SESSION_LIFETIME = timedelta(hours=12)
"""How long a sign-in lasts, counted from the sign-in (not renewed by activity): one duty shift."""

CSRF_EXEMPT_PREFIXES = ("/webhooks/", "/api/", "/simulator/")
"""Paths never called from a browser form of this app. Providers sign or authenticate webhooks
themselves; the JSON API reads only a bearer token, which a cross-site page cannot make a browser
send; the simulator's actions are JSON, which a cross-site form cannot send without a preflight."""


def register_web(app: Flask) -> None:
    """Install sign-in, sessions, CSRF protection, translations, headers and the shell's pages."""
    settings = app.extensions["dalili"].settings
    app.config.update(
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        SESSION_REFRESH_EACH_REQUEST=False,  # the lifetime runs from sign-in, not from the last click
        REMEMBER_COOKIE_SECURE=settings.is_production,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_CHECK_DEFAULT=False,  # checked by path below, so new API blueprints are exempt at once
        WTF_CSRF_TIME_LIMIT=int(SESSION_LIFETIME.total_seconds()),  # a form open all shift still posts
        BABEL_DEFAULT_LOCALE=language.DEFAULT_LANGUAGE,
    )
    # Block tags leave no blank lines behind: smaller pages on a slow connection.
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    login_manager = LoginManager(app)
    login_manager.user_loader(access.load_signed_in)
    login_manager.unauthorized_handler(access.to_sign_in)
    csrf = CSRFProtect(app)
    app.before_request(partial(_check_csrf, csrf))
    Babel(app, locale_selector=language.select_language)
    app.after_request(headers.add_security_headers)
    app.context_processor(language.page_context)
    app.register_blueprint(auth.bp)
    app.register_blueprint(language.bp)
    app.register_blueprint(oversight.bp)
    app.register_blueprint(hotspots.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(contacts.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(quality.bp)


def _check_csrf(csrf: CSRFProtect) -> None:
    if request.method in ("GET", "HEAD", "OPTIONS", "TRACE") or request.path.startswith(CSRF_EXEMPT_PREFIXES):
        return
    csrf.protect()  # raises CSRFError (400) without a valid token

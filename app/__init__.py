"""Dalili's composition root: the Flask app factory and every entrypoint (web, worker, CLI)."""

from __future__ import annotations

import secrets

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from app.bootstrap import Services, build_services
from config.logging import accepted_request_id, configure_logging
from config.settings import Settings

MAX_REQUEST_BYTES = 64 * 1024
"""Twilio refuses bodies over 64 kB (error 11750); nothing legitimate sends more to Dalili."""


def create_app(settings: Settings | None = None) -> Flask:
    """Create and configure an instance of the Dalili web application."""
    settings = settings or Settings.from_env()
    configure_logging(settings)
    app = Flask(__name__, instance_path=None)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        SESSION_COOKIE_SECURE=settings.is_production,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if settings.proxy_hops:
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]  # reason: standard WSGI middleware wrapping
    app.extensions["dalili"] = build_services(settings)

    @app.before_request
    def assign_request_id() -> None:
        g.request_id = accepted_request_id(request.headers.get("X-Request-Id", "")) or secrets.token_hex(8)

    from app import errors, health, metrics, simulator, webhooks
    from app.api import hotspots, incidents, places, quality, reports
    from app.web import register_web

    errors.register_error_handlers(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)  # GET /metrics, loopback only
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(incidents.api)
    app.register_blueprint(hotspots.bp)
    app.register_blueprint(places.bp)
    app.register_blueprint(quality.bp)
    if settings.training:  # the phone simulator makes training data; never in production
        app.register_blueprint(simulator.bp)
    register_web(app)  # sign-in, sessions, CSRF, languages, pages' shell

    return app


def current_services() -> Services:
    """The services of the app handling this request or job."""
    from flask import current_app

    services: Services = current_app.extensions["dalili"]
    return services

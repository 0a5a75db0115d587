"""Named errors to HTTP answers: precise, and never echoing personal data."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from alerts.errors import (
    AlertsError,
    InvalidCredentials,
    InvalidValue,
    NotPermitted,
    UnknownIncident,
    UnknownUser,
)
from alerts.workflow import InvalidTransition
from app.web.errors import error_page
from channels.errors import ChannelError

logger = logging.getLogger(__name__)

ALERTS_STATUS: dict[type[AlertsError], int] = {
    InvalidCredentials: 401,
    NotPermitted: 403,
    UnknownUser: 404,
    InvalidValue: 400,
    UnknownIncident: 404,
    InvalidTransition: 409,
}


def _answer(status: int, message: str) -> Response:
    page = error_page(status)  # a person's browser gets a page; None for API clients and providers
    if page is not None:
        return page
    response = jsonify(error=message)
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    """Install the mapping from named exceptions to statuses."""

    @app.errorhandler(ChannelError)
    def channel_error(exc: ChannelError) -> Response:
        # Path and reason only: the body may hold a reporter's words or number.
        logger.warning("rejected %s webhook: %s (%s)", request.path, type(exc).__name__, exc)
        return _answer(exc.status, str(exc))

    @app.errorhandler(AlertsError)
    def alerts_error(exc: AlertsError) -> Response:
        status = next((s for cls, s in ALERTS_STATUS.items() if isinstance(exc, cls)), 500)
        return _answer(status, str(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        return _answer(exc.code or 500, exc.description or exc.name)

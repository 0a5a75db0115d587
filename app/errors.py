"""Named errors to HTTP answers: precise, and never echoing personal data."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from redis.exceptions import RedisError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from alerts.errors import (
    AlertsError,
    InvalidCredentials,
    InvalidValue,
    NotPermitted,
    UnknownIncident,
    UnknownUser,
)
from alerts.incidents.workflow import InvalidTransition
from app.web.errors import error_page
from channels.errors import ChannelError

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
"""What a 503 asks the client to wait: about one sweep of the spool and the queue."""

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


def _unavailable(message: str) -> Response:
    response = _answer(503, message)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def register_error_handlers(app: Flask) -> None:
    """Install the mapping from named exceptions to statuses."""

    @app.errorhandler(ChannelError)
    def channel_error(exc: ChannelError) -> Response:
        # Path and reason only: the body may hold a reporter's words or number.
        logger.warning("rejected %s webhook: %s (%s)", request.path, type(exc).__name__, exc)
        return _unavailable(str(exc)) if exc.status == 503 else _answer(exc.status, str(exc))

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unreachable(exc: Exception) -> Response:
        # A delivery report, a page or an API call: nothing was stored, so the client should retry.
        logger.error("database unreachable on %s: %s", request.path, type(exc).__name__)
        return _unavailable("database unavailable; retry later")

    @app.errorhandler(RedisError)
    def queue_unreachable(exc: RedisError) -> Response:
        # A USSD hop (its session lives in Redis) or a page needing the queue; SMS intake never gets here.
        logger.error("redis unreachable on %s: %s", request.path, type(exc).__name__)
        return _unavailable("queue unavailable; retry later")

    @app.errorhandler(AlertsError)
    def alerts_error(exc: AlertsError) -> Response:
        status = next((s for cls, s in ALERTS_STATUS.items() if isinstance(exc, cls)), 500)
        return _answer(status, str(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        return _answer(exc.code or 500, exc.description or exc.name)

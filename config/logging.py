"""Logging set-up: request and job ids on every record, and no phone number or secret in any line."""

from __future__ import annotations

import logging
import logging.config
import re

from gunicorn import glogging

from config.settings import Settings

PHONE_LIKE = re.compile(r"(?:\+|%2[Bb])\d(?:[\d\s-]|%20){6,}\d|\b\d{8,15}\b")
"""An international number (with or without separators, ``+`` written or URL-encoded) or a run of
8-15 digits.

Dates, times and IP addresses are left alone, so log lines stay readable.
"""

SECRET_PARAMETER = re.compile(
    r"(?i)(?<![\w-])(token|access_token|api_?key|key|password|secret|signature|"
    r"phone|phone_?number|msisdn|from|to|number)=[^&\s\"']*"
)
"""A query or form parameter whose value is a secret or a number, however it is written: Africa's
Talking authenticates with ``?token=``, the simulator asks for ``?phone=``."""

REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
NUMBER_LIKE_ID = re.compile(r"\d{7,}")
"""Seven digits in a row, once separators are dropped: enough of a phone number to refuse as an id."""


def redact(line: str) -> str:
    """The line with secret parameters' values and anything shaped like a phone number masked."""
    return PHONE_LIKE.sub("[redacted]", SECRET_PARAMETER.sub(r"\1=[redacted]", line))


def accepted_request_id(header: str) -> str | None:
    """A caller's ``X-Request-Id`` if it is a well-formed id; None for anything else (a number, text).

    The id is printed on every line of the request, where no filter can tell it from a number.
    """
    if REQUEST_ID.fullmatch(header) and not NUMBER_LIKE_ID.search(re.sub(r"[._-]", "", header)):
        return header
    return None


class ContextFilter(logging.Filter):
    """Add the current request id and RQ job id (empty outside one) to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        from flask import g, has_request_context
        from rq import get_current_job

        record.request_id = g.get("request_id", "") if has_request_context() else ""
        job = get_current_job()
        record.job_id = job.id if job else ""
        return True


class RedactSecrets(logging.Filter):
    """Mask phone numbers and secret parameters in the message: a last line of defence for R27."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class GunicornLogger(glogging.Logger):  # type: ignore[misc]  # reason: gunicorn ships no type hints
    """Gunicorn's logger with its access and error lines redacted: a request line holds the query
    (``?token=``, ``?phone=``) and gunicorn writes it before the app sees the request.

    The Procfile starts gunicorn with ``--logger-class config.logging.GunicornLogger``.
    """

    def setup(self, cfg: object) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactSecrets) for f in log.filters):
                log.addFilter(RedactSecrets())


def configure_logging(settings: Settings) -> None:
    """Configure the root logger once for web, worker and CLI processes."""
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {
                "context": {"()": ContextFilter},
                "redact": {"()": RedactSecrets},
            },
            "formatters": {
                "plain": {
                    "format": "%(asctime)s %(levelname)s %(name)s "
                    "[req=%(request_id)s job=%(job_id)s] %(message)s"
                }
            },
            "handlers": {
                "stderr": {
                    "class": "logging.StreamHandler",
                    "formatter": "plain",
                    "filters": ["context", "redact"],
                }
            },
            "root": {"level": settings.log_level, "handlers": ["stderr"]},
        }
    )

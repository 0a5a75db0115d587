"""Logging set-up: request and job ids on every record, and no phone numbers in any line."""

from __future__ import annotations

import logging
import logging.config
import re

from config.settings import Settings

PHONE_LIKE = re.compile(r"\+\d[\d\s-]{6,}\d|\b\d{8,15}\b")
"""An international number (with or without separators) or a run of 8-15 digits.

Dates, times and IP addresses are left alone, so log lines stay readable.
"""


class ContextFilter(logging.Filter):
    """Add the current request id and RQ job id (empty outside one) to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        from flask import g, has_request_context
        from rq import get_current_job

        record.request_id = g.get("request_id", "") if has_request_context() else ""
        job = get_current_job()
        record.job_id = job.id if job else ""
        return True


class RedactPhoneNumbers(logging.Filter):
    """Mask anything shaped like a phone number: a last line of defence for R27."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = PHONE_LIKE.sub("[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure_logging(settings: Settings) -> None:
    """Configure the root logger once for web, worker and CLI processes."""
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {
                "context": {"()": ContextFilter},
                "redact": {"()": RedactPhoneNumbers},
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

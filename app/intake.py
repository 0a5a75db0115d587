"""Store, then enqueue: the path every inbound message takes before it is acknowledged."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from sqlalchemy.exc import InterfaceError, OperationalError

from alerts.intake.services import record_inbound
from alerts.messages import RecordInbound
from alerts.models import utcnow
from app import current_services, jobs
from app.infra.ratelimit import within_limits
from app.infra.spool import SpoolUnavailable, spool_inbound
from channels.base import ParsedInbound
from channels.errors import ChannelError

logger = logging.getLogger(__name__)


DATABASE_UNREACHABLE = (OperationalError, InterfaceError)
"""What SQLAlchemy raises when the server cannot be reached or the connection died."""


class Throttled(ChannelError):
    """Too many requests from one source address."""

    status = 429


class NotStored(ChannelError):
    """Neither the database nor the spool took the message: not acknowledged, so the provider may retry."""

    status = 503


def receive(
    parsed: ParsedInbound,
    *,
    source: str,
    reply_to: str | None = None,
    training: bool = False,
    status: str = "received",
    error: str | None = None,
) -> None:
    """Commit the message durably, then ask the worker to triage (and acknowledge) it.

    The queue is a convenience, the database is the record: if Redis is down the message is
    still stored and acknowledged, and the sweep enqueues it later. If the database is down the
    message waits in the spool (`app/infra/spool.py`) and the sweep stores it later; only when both are
    down is it refused (NotStored, 503). Her address, needed for the receipt, travels only
    encrypted with the vault key.
    """
    services = current_services()
    settings = services.settings
    limits = {f"source:{source}": settings.source_rate_limit}
    if parsed.reporter_key:
        limits[f"reporter:{parsed.reporter_key}"] = settings.reporter_rate_limit
    allowed = within_limits(services.queues.connection, limits)
    if not allowed[f"source:{source}"]:
        raise Throttled("too many requests from this address; slow down")
    if not all(allowed.values()) and status == "received":
        status, error = "review", "held: more messages a minute from one sender than the limit"
    record = RecordInbound(
        provider=parsed.provider,
        channel=parsed.channel,
        provider_message_id=parsed.provider_message_id,
        received_at=utcnow(),
        reporter_key=parsed.reporter_key,
        content=parsed.content,
        payload=parsed.payload,
        status=status,
        error=error,
        training=training,
    )
    sealed = services.vault.seal(reply_to) if reply_to else None
    try:
        receipt = record_inbound(record, uow=services.uow(), seal=services.number_seal)
    except DATABASE_UNREACHABLE as exc:
        try:
            spool_inbound(services.queues.connection, services.vault, record, sealed)
        except SpoolUnavailable as spool_error:
            raise NotStored(
                "message not stored: database and queue unreachable; retry later"
            ) from spool_error
        logger.error("database unreachable (%s); %s message spooled", type(exc).__name__, parsed.channel)
        return
    if receipt.created and status == "received":
        try:
            jobs.enqueue_processing(services, receipt.inbound_id, sealed)
        except RedisError as exc:
            logger.error("inbound %s stored but not queued (%s); sweep will retry", receipt.inbound_id, exc)

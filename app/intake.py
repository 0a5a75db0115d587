"""Store, then enqueue: the path every inbound message takes before it is acknowledged."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from alerts.messages import InboundReceipt, RecordInbound
from alerts.models import utcnow
from alerts.services import record_inbound
from app import current_services, jobs
from app.ratelimit import within_limits
from channels.base import ParsedInbound
from channels.errors import ChannelError

logger = logging.getLogger(__name__)


class Throttled(ChannelError):
    """Too many requests from one source address."""

    status = 429


def receive(
    parsed: ParsedInbound,
    *,
    source: str,
    reply_to: str | None = None,
    training: bool = False,
    status: str = "received",
    error: str | None = None,
) -> InboundReceipt:
    """Commit the message durably, then ask the worker to triage (and acknowledge) it.

    The queue is a convenience, the database is the record: if Redis is down the message is
    still stored and acknowledged, and `dalili jobs sweep` enqueues it later. Her address, needed
    for the receipt, travels only inside the job and only encrypted with the vault key.
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
    receipt = record_inbound(
        RecordInbound(
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
        ),
        uow=services.uow(),
    )
    if receipt.created and status == "received":
        sealed = services.vault.seal(reply_to) if reply_to else None
        try:
            jobs.enqueue_processing(services, receipt.inbound_id, sealed)
        except RedisError as exc:
            logger.error("inbound %s stored but not queued (%s); sweep will retry", receipt.inbound_id, exc)
    return receipt

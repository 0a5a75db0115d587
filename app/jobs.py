"""RQ job functions: ids in, one service call, nothing else. They run inside the app context."""

from __future__ import annotations

from alerts.services import process_inbound
from app import current_services
from app.bootstrap import Services


def process_inbound_message(inbound_id: int) -> int:
    """Triage one stored inbound message into a report (idempotent)."""
    services = current_services()
    return process_inbound(
        inbound_id, uow=services.uow(), taxonomy=services.taxonomy, geocoder=services.geocoder
    )


def enqueue_processing(services: Services, inbound_id: int) -> bool:
    """Queue the triage of one inbound message, at most once."""
    return services.queues.enqueue(
        "intake", process_inbound_message, inbound_id, job_id=f"inbound-{inbound_id}"
    )

"""Periodic jobs on RQ's cron scheduler: a separate process on Redis, a tick in the embedded loop."""

from __future__ import annotations

import logging
import threading
import time

from redis import Redis
from redis.exceptions import RedisError
from rq.cron import CronScheduler

from app import jobs

logger = logging.getLogger(__name__)

ESCALATION_INTERVAL_SECONDS = 60
"""How often overdue incidents are looked for: well inside the shortest deadline (P1, 15 min)."""
SWEEP_INTERVAL_SECONDS = 60
"""How often stored messages that never reached the queue (Redis was down) are queued again."""
RECONNECT_SECONDS = 5
"""Pause before a worker or the cron scheduler that lost Redis starts again."""
RETENTION_INTERVAL_SECONDS = 3600
"""How often retention runs: raw content outlives its period by an hour at most, and an hourly
backlog is a batch or two (R31)."""
AUDIT_ARCHIVE_INTERVAL_SECONDS = 86400
"""How often the audit trail is archived: daily, one small file a day (R30, R31)."""
AUDIT_ANCHOR_INTERVAL_SECONDS = 300
"""How often the newest audit event is anchored outside the database: deleting events recorded
before the latest anchor shows in `dalili audit verify`, so this bounds what a truncation can hide."""
AUDIT_ARCHIVE_TIMEOUT_SECONDS = 3600
"""Room for a first run over years of trail; a killed run loses nothing and the next one goes on."""


def cron_scheduler(connection: Redis) -> CronScheduler:
    """The deployment's periodic jobs; every one is idempotent, so an extra run does no harm."""
    scheduler = CronScheduler(connection, logging_level=logging.WARNING)
    scheduler.register(
        jobs.escalate_overdue_incidents, queue_name="maintenance", interval=ESCALATION_INTERVAL_SECONDS
    )
    scheduler.register(
        jobs.sweep_unqueued_messages, queue_name="maintenance", interval=SWEEP_INTERVAL_SECONDS
    )
    scheduler.register(jobs.enforce_retention, queue_name="maintenance", interval=RETENTION_INTERVAL_SECONDS)
    scheduler.register(
        jobs.anchor_audit_trail, queue_name="maintenance", interval=AUDIT_ANCHOR_INTERVAL_SECONDS
    )
    scheduler.register(
        jobs.archive_audit_trail,
        queue_name="maintenance",
        interval=AUDIT_ARCHIVE_INTERVAL_SECONDS,
        job_timeout=AUDIT_ARCHIVE_TIMEOUT_SECONDS,
    )
    return scheduler


def run_cron(connection: Redis) -> None:
    """`dalili scheduler`: RQ's cron scheduler, started again whenever it loses Redis (RQ's exits),
    until it is stopped (SIGTERM or Ctrl-C)."""
    while True:
        try:
            cron_scheduler(connection).start()  # type: ignore[no-untyped-call]  # reason: rq leaves start() unannotated
            return
        except RedisError as exc:
            logger.error(
                "cron scheduler lost Redis (%s); starting again in %s s",
                type(exc).__name__,
                RECONNECT_SECONDS,
            )
            time.sleep(RECONNECT_SECONDS)


def run_in_thread(connection: Redis, stop: threading.Event) -> threading.Thread:
    """Enqueue due jobs until ``stop`` is set; signal handling stays with the main thread."""
    scheduler = cron_scheduler(connection)

    def loop() -> None:
        while not stop.is_set():
            scheduler.enqueue_jobs()
            stop.wait(scheduler.calculate_sleep_interval())

    thread = threading.Thread(target=loop, name="dalili-scheduler", daemon=True)
    thread.start()
    return thread

"""Periodic jobs on RQ's cron scheduler: a separate process on Redis, a tick in the embedded loop."""

from __future__ import annotations

import itertools
import logging
import signal
import threading
import time
from types import FrameType

from redis import Redis
from redis.exceptions import RedisError
from rq.cron import CronScheduler
from rq.exceptions import StopRequested

from app import jobs

logger = logging.getLogger(__name__)

ESCALATION_INTERVAL_SECONDS = 60
"""How often overdue incidents are looked for: well inside the shortest deadline (P1, 15 min)."""
SWEEP_INTERVAL_SECONDS = 60
"""How often stored messages that never reached the queue (Redis was down) are queued again."""
RECONNECT_PAUSES_SECONDS = (1, 2, 4, 8, 15)
"""Pauses before a worker or the cron scheduler that lost Redis tries it again, the last one repeated
until Redis answers: a blip costs a second, a long outage a log line every 15 s and at most 15 s
more once Redis is back."""
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
            if isinstance(exc.__context__, StopRequested):
                return  # stopped while Redis was away: only its goodbye (register_death) failed
            logger.error("cron scheduler lost Redis (%s)", type(exc).__name__)
        wait_for_redis(connection, "cron scheduler")


def wait_for_redis(connection: Redis, who: str) -> None:
    """Pause, then return once Redis answers, however long that takes (RECONNECT_PAUSES_SECONDS).

    Nothing runs meanwhile, so SIGTERM or Ctrl-C ends the process at once; the handlers in place
    before are put back on return.
    """
    previous = {signum: signal.signal(signum, _exit) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        reason = "restarting"
        for attempt in itertools.count():
            pause = RECONNECT_PAUSES_SECONDS[min(attempt, len(RECONNECT_PAUSES_SECONDS) - 1)]
            logger.warning("%s waits for Redis (%s); next try in %s s", who, reason, pause)
            time.sleep(pause)
            try:
                connection.ping()
                return
            except RedisError as exc:
                reason = type(exc).__name__
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


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

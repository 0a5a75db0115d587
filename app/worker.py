"""RQ workers that run jobs inside the Flask app context, on Redis or in-process."""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Flask
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.job import Job
from rq.queue import Queue
from rq.timeouts import TimerDeathPenalty

from app.schedule import cron_scheduler, wait_for_redis

logger = logging.getLogger(__name__)

EMBEDDED_POLL_SECONDS = 0.2
"""How often the in-process worker looks for new jobs; short enough that a reply feels immediate."""
MAINTENANCE_SECONDS = 20
"""How often a worker runs RQ's maintenance (RQ: every 10 minutes), which is when a worker without
RQ's scheduler tries to take its lock. A SIGKILLed worker's lock outlives it by 61 s (the
scheduler's 1 s interval + 60, `rq.scheduler`), so a worker started at once, whose first try
failed, would leave scheduled jobs (retries) waiting 10 minutes; now 61 s and 25 s at most."""
IDLE_WAKE_SECONDS = 5
"""Longest wait for a job before an idle worker wakes to keep its maintenance times (RQ: 405 s).
RQ derives the socket timeout of the worker's connection from it (+ 10 s)."""


class AppWorker(SimpleWorker):
    """The production worker: runs each job in its own process, inside the Flask app context.

    RQ's default worker forks a work horse per job; with the app loaded that fork, and the database
    connection each horse must open anew, cost more than the job (8x slower, docs/decisions.md D16).
    Job timeouts still hold (SIGALRM in the main thread). A job that takes the process down is
    retried as an abandoned job once its heartbeat (timeout + 60 s) lapses: see the sweep.
    """

    def __init__(self, *args: Any, app: Flask, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.maintenance_interval = MAINTENANCE_SECONDS
        self.app = app
        self.asked_to_stop = False

    @property
    def dequeue_timeout(self) -> int:
        return IDLE_WAKE_SECONDS

    def perform_job(self, job: Job, queue: Queue, *args: Any, **kwargs: Any) -> bool:
        with self.app.app_context():
            return bool(super().perform_job(job, queue, *args, **kwargs))

    def request_stop(self, signum: Any, frame: Any) -> None:
        self.asked_to_stop = True  # SIGTERM or SIGINT: a warm shutdown, not a lost connection
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]  # reason: rq leaves it unannotated


class EmbeddedWorker(AppWorker):
    """Runs the same jobs in a thread of the web process: no signals, thread timeouts."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        """Signal handlers belong to the main thread, which the web server owns."""


def _queues(app: Flask) -> list[Queue]:
    services = app.extensions["dalili"]
    return list(services.queues.queues.values())


def run_worker(app: Flask, *, burst: bool = False) -> bool:
    """Work the named queues on Redis with the scheduler (retries and scheduled jobs).

    RQ's worker quits when Redis goes away in the middle of a job, and cannot even be built while
    it is away; this one waits for Redis and starts again (the job itself is recovered by the
    sweep), and stops only when asked to.
    """
    services = app.extensions["dalili"]
    while True:
        worker = None
        try:
            worker = AppWorker(_queues(app), connection=services.queues.connection, app=app)  # CLIENT SETNAME
            worked = worker.work(burst=burst, with_scheduler=True)
        except RedisError as exc:  # Redis is away, or the worker's teardown could not reach it either
            logger.error("worker lost Redis (%s)", type(exc).__name__)
            worked = False
        if burst or (worker is not None and worker.asked_to_stop):
            return worked
        logger.error("worker stopped unasked")
        wait_for_redis(services.queues.connection, "worker")


def drain(app: Flask) -> bool:
    """Run every due job now, in this thread; the embedded loop and the tests use it."""
    services = app.extensions["dalili"]
    worker = EmbeddedWorker(_queues(app), connection=services.queues.connection, app=app)
    return worker.work(burst=True, with_scheduler=True, logging_level="WARNING")


def start_embedded_worker(app: Flask, stop: threading.Event) -> threading.Thread:
    """Poll the in-process queues until ``stop`` is set, enqueueing the periodic jobs as they fall due."""
    scheduler = cron_scheduler(app.extensions["dalili"].queues.connection)

    def loop() -> None:
        while not stop.is_set():
            try:
                scheduler.enqueue_jobs()
                drain(app)
            except Exception:  # keep serving; the failed job is in RQ's failed registry
                logger.exception("embedded worker pass failed")
            stop.wait(EMBEDDED_POLL_SECONDS)

    thread = threading.Thread(target=loop, name="dalili-embedded-worker", daemon=True)
    thread.start()
    return thread

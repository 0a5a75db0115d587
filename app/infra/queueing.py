"""RQ queues on Redis, or on an in-process fakeredis server when no Redis is configured."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fakeredis
from redis import Redis
from rq import Queue, Retry
from rq.job import JobStatus

QUEUE_NAMES = ("intake", "maintenance", "triage", "notify")
"""Named queues, most urgent first: a worker always drains intake before the rest. Maintenance (the
minute's sweep and escalation, short) comes next, so neither waits behind a backlog of follow-ups:
that is when overdue incidents and lost jobs most need them."""
PENDING = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
REDIS_TIMEOUT_SECONDS = 5
"""A hung Redis must not hang a webhook (Twilio gives up after 15 s) or /readyz. RQ's worker raises
its own connection's read timeout above its blocking dequeue (`Worker._set_connection`)."""


def connect_redis(redis_url: str) -> Redis:
    """Connect to Redis, or start a private in-process server for the embedded default."""
    if redis_url:
        return Redis.from_url(
            redis_url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
        )
    return fakeredis.FakeRedis(server=fakeredis.FakeServer())


class JobQueues:
    """The deployment's queues with one retry policy; jobs are addressed by stable ids."""

    def __init__(self, connection: Redis, retry_intervals: tuple[int, ...]) -> None:
        self.connection = connection
        self.queues = {name: Queue(name, connection=connection) for name in QUEUE_NAMES}
        self._retry_intervals = list(retry_intervals)

    def enqueue(self, queue: str, func: Callable[..., Any], *args: Any, job_id: str) -> None:
        """Enqueue a job under a stable id, in one Redis round trip (the webhook's hot path)."""
        with self.connection.pipeline() as pipe:
            self.queues[queue].enqueue(func, *args, job_id=job_id, retry=self._retry(), pipeline=pipe)
            pipe.execute()

    def is_pending(self, queue: str, job_id: str) -> bool:
        """True while a job with this id waits, runs or waits for its next retry."""
        job = self.queues[queue].fetch_job(job_id)
        return job is not None and job.get_status() in PENDING

    def pending_ids(self, queue: str) -> set[str]:
        """Ids of the jobs that wait, run or wait for a retry on this queue, in four round trips:
        the sweep checks a backlog of thousands against them."""
        q = self.queues[queue]
        registries = (q.started_job_registry, q.scheduled_job_registry, q.deferred_job_registry)
        return set(q.get_job_ids()).union(*(registry.get_job_ids() for registry in registries))

    def recover_abandoned(self, at: float | None = None) -> None:
        """Send back to their queue (or to failed, without retries left) the jobs of a worker that
        died mid-job: SIGKILL, out of memory, a lost machine. RQ itself looks only at its 10-minute
        maintenance; a job counts as abandoned once its heartbeat lapsed (about 90 s). ``at`` is the
        Unix time to judge by (tests move it forward)."""
        for queue in self.queues.values():
            queue.started_job_registry.cleanup(timestamp=at)

    def _retry(self) -> Retry | None:
        intervals = self._retry_intervals
        return Retry(max=len(intervals), interval=intervals) if intervals else None

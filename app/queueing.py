"""RQ queues on Redis, or on an in-process fakeredis server when no Redis is configured."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import fakeredis
from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError

logger = logging.getLogger(__name__)

QUEUE_NAMES = ("intake", "triage", "notify", "maintenance")
"""Named queues, most urgent first: a worker always drains intake before the rest."""


def connect_redis(redis_url: str) -> Redis:
    """Connect to Redis, or start a private in-process server for the embedded default."""
    if redis_url:
        return Redis.from_url(redis_url)
    return fakeredis.FakeRedis(server=fakeredis.FakeServer())


class JobQueues:
    """The deployment's queues with one retry policy; jobs are addressed by stable ids."""

    def __init__(self, connection: Redis, retry_intervals: tuple[int, ...]) -> None:
        self.connection = connection
        self.queues = {name: Queue(name, connection=connection) for name in QUEUE_NAMES}
        self._retry_intervals = list(retry_intervals)

    def enqueue(self, queue: str, func: Callable[..., Any], *args: Any, job_id: str) -> bool:
        """Enqueue once per job id; False when that job is already queued or recently done."""
        intervals = self._retry_intervals
        retry = Retry(max=len(intervals), interval=intervals) if intervals else None
        try:
            self.queues[queue].enqueue(func, *args, job_id=job_id, unique=True, retry=retry)
        except DuplicateJobError:
            logger.info("job %s already known to the queue", job_id)
            return False
        return True

"""Fixed-window counters in Redis: one flooding number or address cannot starve the others."""

from __future__ import annotations

import time

from redis import Redis
from redis.exceptions import RedisError

WINDOW_SECONDS = 60


def within_limits(redis: Redis, limits: dict[str, int]) -> dict[str, bool]:
    """Count one event in each bucket; True per bucket still within its per-minute limit.

    If Redis is unreachable every bucket passes: storing a message matters more than limiting it.
    """
    window = int(time.time() // WINDOW_SECONDS)
    keys = {bucket: f"dalili:rate:{bucket}:{window}" for bucket in limits}
    try:
        with redis.pipeline(transaction=False) as pipe:
            for key in keys.values():
                pipe.incr(key)
                pipe.expire(key, 2 * WINDOW_SECONDS)
            counts = pipe.execute()[::2]
    except RedisError:
        return dict.fromkeys(limits, True)
    return {bucket: count <= limits[bucket] for bucket, count in zip(limits, counts, strict=True)}

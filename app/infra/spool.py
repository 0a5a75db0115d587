"""While the database is unreachable, inbound messages wait in Redis, encrypted, then replay.

Twilio does not retry a webhook that failed with a 5xx unless the deployment configured it to
(CHANNELS.md §3), so answering "try later" would lose her report. Instead the webhook seals the
message it could not store (the vault key: Redis never holds her words or number in clear) and
acknowledges it; the sweep (`app/jobs.py`, every minute) stores and queues the spooled messages
once the database answers again. The provider's own message id keeps a replay, or the
provider's retry of the same message, to one row. This is as durable as Redis is: production
Redis must persist (``appendonly yes``); when Redis is down too, the webhook answers 503.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime

from redis import Redis
from redis.exceptions import RedisError

from alerts.messages import RecordInbound
from alerts.reporters.vault import Vault, VaultError

logger = logging.getLogger(__name__)

SPOOL_KEY = "dalili:spool:inbound"
UNREADABLE_KEY = "dalili:spool:unreadable"
"""Entries no vault key opens any more (a key retired too early): set aside, never deleted."""
REPLAY_LOCK = "dalili:spool:replay"
REPLAY_LOCK_SECONDS = 300
"""One replayer at a time (the sweep, or `dalili jobs sweep` by hand); a crashed one frees it."""


class SpoolUnavailable(Exception):
    """Neither the database nor Redis took the message: it was not kept, so it must not be acknowledged."""


def spool_inbound(redis: Redis, vault: Vault, record: RecordInbound, sealed_reply: str | None) -> None:
    """Keep one message the database could not take; raises SpoolUnavailable if Redis cannot either."""
    entry = asdict(record) | {"received_at": record.received_at.isoformat(), "sealed_reply": sealed_reply}
    try:
        redis.rpush(SPOOL_KEY, vault.seal(json.dumps(entry, ensure_ascii=False)))
    except RedisError as exc:
        raise SpoolUnavailable(str(exc)) from exc


def spooled(redis: Redis) -> int:
    """How many messages wait for the database."""
    return int(redis.llen(SPOOL_KEY))


def replay_spool(redis: Redis, vault: Vault, store: Callable[[RecordInbound, str | None], bool]) -> int:
    """Hand every spooled message to ``store``, oldest first; the number it newly stored.

    An entry leaves the spool only after ``store`` returned (its row committed), so a crash, or the
    database failing again, mid-way loses nothing: the next sweep starts again from that entry,
    and the unique provider id turns a second store into a no-op.
    """
    lock = redis.lock(REPLAY_LOCK, timeout=REPLAY_LOCK_SECONDS)
    if not lock.acquire(blocking=False):
        return 0
    replayed = 0
    try:
        while (head := redis.lindex(SPOOL_KEY, 0)) is not None:
            entry = head.decode() if isinstance(head, bytes) else str(head)
            try:
                fields = json.loads(vault.open(entry))
            except VaultError:
                logger.error("a spooled message no vault key opens was set aside in %s", UNREADABLE_KEY)
                redis.lmove(SPOOL_KEY, UNREADABLE_KEY, "LEFT", "RIGHT")
                continue
            sealed_reply = fields.pop("sealed_reply")
            fields["received_at"] = datetime.fromisoformat(fields["received_at"])
            replayed += store(RecordInbound(**fields), sealed_reply)
            redis.lrem(SPOOL_KEY, 1, entry)
    finally:
        lock.release()
    if replayed:
        logger.warning("stored %d message(s) spooled while the database was unreachable", replayed)
    return replayed

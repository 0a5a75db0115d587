"""Sign-in throttling: attempts per account from one client address, and per client address, in a
sliding window in Redis."""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

FAILURE_LIMIT = 5
"""Failed sign-ins allowed for one email from one client address within ``WINDOW_SECONDS``; the next
attempt from there is refused unchecked until the oldest of them is older than the window. Counted per
address, not per email alone, so that guessing from elsewhere never locks her out."""
ADDRESS_FAILURE_LIMIT = 20
"""Failed sign-ins allowed from one client address, whatever the emails: an address guessing at many
accounts is stopped, while colleagues behind one office address can still mistype."""
WINDOW_SECONDS = 15 * 60


@dataclass(frozen=True, slots=True)
class Attempt:
    """One sign-in attempt, counted as a failure unless ``LoginThrottle.succeeded`` takes it back."""

    wait_seconds: int
    """0 when it may go ahead; otherwise it was refused and is not counted."""
    member: str = ""
    keys: tuple[str, ...] = ()


class LoginThrottle:
    """Counts attempts in sorted sets (one timestamp each) per email-and-address and per address, keyed
    by a keyed hash so that Redis holds neither email addresses nor client addresses.

    An attempt is counted *before* the password is checked, in one transaction with the count, so a
    burst of simultaneous guesses cannot all slip under the limit while argon2 is busy.
    """

    def __init__(self, redis: Redis, secret: str) -> None:
        self._redis = redis
        self._secret = secret.encode()

    def _key(self, kind: str, value: str) -> str:
        digest = hmac.new(self._secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
        return f"dalili:login-attempts:{kind}:{digest[:32]}"

    def _account_key(self, email: str, address: str) -> str:
        return self._key("account", f"{address}|{email.strip().lower()}")

    def begin(self, email: str, address: str, *, now: float) -> Attempt:
        """Count an attempt for this email from this address, or refuse it when this email from here
        or this address is over its limit.

        If Redis is unreachable every attempt may go ahead: staff must reach alerts during an outage,
        and argon2 keeps each guess slow.
        """
        keys = (self._account_key(email, address), self._key("address", address))
        limits = (FAILURE_LIMIT, ADDRESS_FAILURE_LIMIT)
        member = f"{now:.6f}:{secrets.token_hex(4)}"  # unique, so simultaneous attempts all count
        try:
            with self._redis.pipeline(transaction=True) as pipe:
                for key in keys:
                    pipe.zremrangebyscore(key, "-inf", now - WINDOW_SECONDS)
                    pipe.zrange(key, 0, -1, withscores=True)
                    pipe.zadd(key, {member: now})
                    pipe.expire(key, WINDOW_SECONDS)
                earlier = pipe.execute()[1::4]
            wait = max(
                self._wait([score for _, score in entries], limit, now)
                for entries, limit in zip(earlier, limits, strict=True)
            )
            if wait:
                self._take_back(member, keys)
                return Attempt(wait)
        except RedisError as exc:
            logger.warning("sign-in throttle unavailable, not limiting: %s", type(exc).__name__)
            return Attempt(0)
        return Attempt(0, member, keys)

    @staticmethod
    def _wait(times: list[float], limit: int, now: float) -> int:
        if len(times) < limit:
            return 0
        # Enough of the oldest attempts must age out to fall below the limit again.
        frees_at = sorted(times)[len(times) - limit] + WINDOW_SECONDS
        return max(1, math.ceil(frees_at - now))

    def succeeded(self, attempt: Attempt, email: str, address: str) -> None:
        """She signed in: this attempt was no failure, and her email from here starts afresh. The
        address keeps its other failures, so one valid account cannot reset an address that guesses
        others."""
        self._take_back(attempt.member, attempt.keys)
        try:
            self._redis.delete(self._account_key(email, address))
        except RedisError as exc:
            logger.warning("sign-in failures not cleared: %s", type(exc).__name__)

    def _take_back(self, member: str, keys: tuple[str, ...]) -> None:
        if not member:
            return
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.zrem(key, member)
                pipe.execute()
        except RedisError as exc:
            logger.warning("sign-in attempt not taken back: %s", type(exc).__name__)

"""Sign-in attempts counted per email from one address and per address over a sliding 15-minute window."""

from __future__ import annotations

import fakeredis
import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from app.web.throttle import ADDRESS_FAILURE_LIMIT, FAILURE_LIMIT, WINDOW_SECONDS, LoginThrottle

pytestmark = pytest.mark.unit

NOW = 1_800_000_000.0


@pytest.fixture
def throttle() -> LoginThrottle:
    return LoginThrottle(fakeredis.FakeRedis(server=fakeredis.FakeServer()), "secret")


def _fail(throttle: LoginThrottle, times: int, *, email: str = "a@x.org", address: str = "10.0.0.1") -> None:
    for i in range(times):
        assert throttle.begin(email, address, now=NOW + i).wait_seconds == 0


def test_five_failures_are_allowed_and_the_sixth_attempt_waits(throttle: LoginThrottle) -> None:
    _fail(throttle, FAILURE_LIMIT)
    refused = throttle.begin("a@x.org", "10.0.0.1", now=NOW + 10)
    assert refused.wait_seconds == WINDOW_SECONDS - 10
    again = throttle.begin("a@x.org", "10.0.0.1", now=NOW + 20)
    assert again.wait_seconds == WINDOW_SECONDS - 20  # refused attempts do not prolong the wait


def test_the_window_slides_so_old_failures_stop_counting(throttle: LoginThrottle) -> None:
    _fail(throttle, FAILURE_LIMIT)
    assert throttle.begin("a@x.org", "10.0.0.1", now=NOW + WINDOW_SECONDS - 1).wait_seconds == 1
    assert throttle.begin("a@x.org", "10.0.0.1", now=NOW + WINDOW_SECONDS + 1).wait_seconds == 0


def test_simultaneous_attempts_count_before_any_password_is_checked(throttle: LoginThrottle) -> None:
    burst = [throttle.begin("a@x.org", "10.0.0.1", now=NOW) for _ in range(FAILURE_LIMIT + 3)]
    assert [attempt.wait_seconds == 0 for attempt in burst] == [True] * FAILURE_LIMIT + [False] * 3


def test_the_email_is_counted_whatever_its_case(throttle: LoginThrottle) -> None:
    _fail(throttle, FAILURE_LIMIT, email=" A@X.org")
    assert throttle.begin("a@x.org", "10.0.0.1", now=NOW + 10).wait_seconds > 0
    assert throttle.begin("b@x.org", "10.0.0.1", now=NOW + 10).wait_seconds == 0


def test_guesses_from_other_addresses_never_lock_her_out(throttle: LoginThrottle) -> None:
    for i in range(3 * FAILURE_LIMIT):
        throttle.begin("a@x.org", f"10.0.0.{i}", now=NOW)
    assert throttle.begin("a@x.org", "10.9.9.9", now=NOW).wait_seconds == 0


def test_one_address_guessing_many_emails_is_stopped(throttle: LoginThrottle) -> None:
    for i in range(ADDRESS_FAILURE_LIMIT):
        assert throttle.begin(f"guess{i}@x.org", "10.0.0.1", now=NOW + i).wait_seconds == 0
    assert throttle.begin("never-tried@x.org", "10.0.0.1", now=NOW + 30).wait_seconds > 0
    assert throttle.begin("never-tried@x.org", "10.0.0.2", now=NOW + 30).wait_seconds == 0


def test_a_success_clears_her_email_here_but_not_the_other_failures_of_the_address(
    throttle: LoginThrottle,
) -> None:
    _fail(throttle, FAILURE_LIMIT - 1)
    success = throttle.begin("a@x.org", "10.0.0.1", now=NOW + 5)
    throttle.succeeded(success, "a@x.org", "10.0.0.1")
    _fail(throttle, FAILURE_LIMIT)  # her count starts afresh
    for i in range(ADDRESS_FAILURE_LIMIT - 2 * FAILURE_LIMIT + 1):
        assert throttle.begin(f"guess{i}@x.org", "10.0.0.1", now=NOW + 10).wait_seconds == 0
    assert throttle.begin("third@x.org", "10.0.0.1", now=NOW + 20).wait_seconds > 0


def test_redis_holds_neither_the_email_nor_the_address() -> None:
    redis = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    LoginThrottle(redis, "secret").begin("amina@network.org", "192.0.2.7", now=NOW)
    keys = redis.keys("*")
    assert b"amina" not in b" ".join(keys)
    assert b"192.0.2.7" not in b" ".join(keys)
    assert all(0 < redis.ttl(key) <= WINDOW_SECONDS for key in keys)


def test_without_redis_nobody_is_locked_out(monkeypatch: pytest.MonkeyPatch) -> None:
    redis: Redis = fakeredis.FakeRedis(server=fakeredis.FakeServer())

    def down(*args: object, **kwargs: object) -> None:
        raise RedisConnectionError("down")

    monkeypatch.setattr(redis, "pipeline", down)
    monkeypatch.setattr(redis, "delete", down)
    throttle = LoginThrottle(redis, "secret")
    attempts = [throttle.begin("a@x.org", "10.0.0.1", now=NOW) for _ in range(FAILURE_LIMIT + 1)]
    throttle.succeeded(attempts[-1], "a@x.org", "10.0.0.1")
    assert {attempt.wait_seconds for attempt in attempts} == {0}

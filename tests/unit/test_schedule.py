"""`dalili scheduler` starts RQ's cron scheduler again when it loses Redis, and stops when asked."""

from __future__ import annotations

import logging
import os
import signal

import fakeredis
import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from rq.exceptions import StopRequested

from app import schedule


class FlakyCron:
    def __init__(self, failures: list[Exception]) -> None:
        self.failures, self.starts = failures, 0

    def start(self) -> None:
        self.starts += 1
        if self.failures:
            raise self.failures.pop(0)


class AwayRedis:
    """Redis that answers only after ``refusals`` pings were refused."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals

    def ping(self) -> bool:
        if self.refusals:
            self.refusals -= 1
            raise RedisConnectionError("Connection refused")
        return True


def test_the_cron_scheduler_starts_again_after_losing_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    cron = FlakyCron([RedisConnectionError("refused"), RedisConnectionError("reset")])
    monkeypatch.setattr(schedule, "cron_scheduler", lambda connection: cron)
    monkeypatch.setattr(schedule, "RECONNECT_PAUSES_SECONDS", (0,))
    schedule.run_cron(connection=fakeredis.FakeRedis())
    assert cron.starts == 3  # two losses, then a stop on request ends it


def test_a_stop_asked_while_redis_is_away_ends_the_cron_scheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    def goodbye_without_redis() -> None:  # what start() raises: its finally cannot register the death
        try:
            raise StopRequested
        finally:
            raise RedisConnectionError("refused")  # as RQ's own finally does

    cron = FlakyCron([])
    cron.start = goodbye_without_redis  # type: ignore[method-assign]
    monkeypatch.setattr(schedule, "cron_scheduler", lambda connection: cron)
    monkeypatch.setattr(schedule, "wait_for_redis", lambda connection, who: pytest.fail("stop ignored"))
    schedule.run_cron(connection=None)  # type: ignore[arg-type]


def test_any_other_failure_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    cron = FlakyCron([RuntimeError("a bug")])
    monkeypatch.setattr(schedule, "cron_scheduler", lambda connection: cron)
    with pytest.raises(RuntimeError):
        schedule.run_cron(connection=None)  # type: ignore[arg-type]


def test_waiting_for_redis_backs_off_and_says_so_until_it_answers(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(schedule.time, "sleep", pauses.append)
    with caplog.at_level(logging.WARNING, logger="app.schedule"):
        schedule.wait_for_redis(AwayRedis(refusals=6), "worker")  # type: ignore[arg-type]
    assert pauses == [1, 2, 4, 8, 15, 15, 15]
    assert [r.getMessage() for r in caplog.records][:2] == [
        "worker waits for Redis (restarting); next try in 1 s",
        "worker waits for Redis (ConnectionError); next try in 2 s",
    ]


def test_a_stop_asked_while_waiting_for_redis_ends_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(schedule.time, "sleep", lambda seconds: os.kill(os.getpid(), signal.SIGTERM))
    with pytest.raises(SystemExit) as stopped:
        schedule.wait_for_redis(AwayRedis(refusals=1000), "worker")  # type: ignore[arg-type]
    assert stopped.value.code == 0
    assert signal.getsignal(signal.SIGTERM) is before

"""`dalili scheduler` starts RQ's cron scheduler again when it loses Redis, and stops when asked."""

from __future__ import annotations

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from app import schedule


class FlakyCron:
    def __init__(self, failures: list[Exception]) -> None:
        self.failures, self.starts = failures, 0

    def start(self) -> None:
        self.starts += 1
        if self.failures:
            raise self.failures.pop(0)


def test_the_cron_scheduler_starts_again_after_losing_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    cron = FlakyCron([RedisConnectionError("refused"), RedisConnectionError("reset")])
    monkeypatch.setattr(schedule, "cron_scheduler", lambda connection: cron)
    monkeypatch.setattr(schedule, "RECONNECT_SECONDS", 0)
    schedule.run_cron(connection=None)  # type: ignore[arg-type]
    assert cron.starts == 3  # two losses, then a stop on request ends it


def test_any_other_failure_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    cron = FlakyCron([RuntimeError("a bug")])
    monkeypatch.setattr(schedule, "cron_scheduler", lambda connection: cron)
    with pytest.raises(RuntimeError):
        schedule.run_cron(connection=None)  # type: ignore[arg-type]

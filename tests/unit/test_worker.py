"""`dalili worker` waits for a Redis that stays away instead of exiting (issue #14)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from app import worker

pytestmark = pytest.mark.unit


class StoppedWorker:
    """A worker that worked, then was asked to stop."""

    asked_to_stop = True

    def work(self, **kwargs: Any) -> bool:
        return True


def test_a_worker_that_cannot_reach_redis_to_start_waits_for_it(monkeypatch: pytest.MonkeyPatch) -> None:
    builds: list[int] = []
    waits: list[str] = []

    def build(*args: Any, **kwargs: Any) -> StoppedWorker:
        builds.append(1)
        if len(builds) <= 2:  # RQ names its connection on Redis (CLIENT SETNAME) as it is built
            raise RedisConnectionError("Connection refused")
        return StoppedWorker()

    monkeypatch.setattr(worker, "AppWorker", build)
    monkeypatch.setattr(worker, "wait_for_redis", lambda connection, who: waits.append(who))
    services = SimpleNamespace(queues=SimpleNamespace(connection=None, queues={}))
    app = SimpleNamespace(extensions={"dalili": services})
    assert worker.run_worker(app)  # type: ignore[arg-type]
    assert (len(builds), waits) == (3, ["worker", "worker"])

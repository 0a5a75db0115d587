"""The deployment's background processes and the faults the soak inflicts on them.

Each process runs in its own session. Killing a worker kills every process of its session, as an
OOM kill of its container or a lost machine would: the worker (which runs its jobs in-process) and
its RQ scheduler child. The supervisor restarts anything that exits on its own, as a Procfile
platform does, and logs it: such an exit is a finding of the run, not noise.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import IO

import redis

from bench import common

REDIS_READY_SECONDS = 10.0
STOP_GRACE_SECONDS = 10.0
SUPERVISE_SECONDS = 0.2
RESTART_BACKOFF_SECONDS = 2.0
"""A process that keeps exiting (a worker started while Redis is down) is restarted this often."""


class Fleet:
    """Redis, N ``dalili worker`` processes and one ``dalili scheduler``, with their events."""

    def __init__(self, env: dict[str, str], log: Path, redis_port: int, clock: Callable[[], float]) -> None:
        self._env, self._port, self._clock = env, redis_port, clock
        self._worker = [str(common.BIN / "dalili"), "worker"]
        self._log: IO[bytes] = log.open("ab")
        self.redis_process: subprocess.Popen[bytes] | None = None
        self.redis_down = False
        """True while the soak keeps Redis stopped on purpose."""
        self.workers: dict[int, subprocess.Popen[bytes]] = {}
        self.scheduler: subprocess.Popen[bytes] | None = None
        self.events: list[tuple[float, str]] = []
        self.exits: Counter[str] = Counter()
        """Processes that exited on their own, by kind."""
        self._started = 0
        self._last_restart: dict[str, float] = {}

    def now(self) -> float:
        """Seconds since the load started (negative before)."""
        return self._clock()

    def event(self, text: str) -> None:
        at = self._clock()
        self.events.append((at, text))
        print(f"[{at:7.1f} s] {text}", flush=True)

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self._port, socket_timeout=5)

    def _spawn(self, command: list[str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            command, env=self._env, cwd=common.ROOT, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    # -- Redis ---------------------------------------------------------------------------------------

    def start_redis(self) -> None:
        """A redis-server that keeps nothing on disk: a restart loses every queued job."""
        with contextlib.suppress(redis.ConnectionError):
            if self.client().ping():
                raise RuntimeError(
                    f"something already answers on port {self._port}: stop it, or pick another"
                )
        self.redis_process = self._spawn(
            ["redis-server", "--port", str(self._port), "--bind", "127.0.0.1", "--appendonly", "no",
             "--save", "", "--dir", str(common.RESULTS)]
        )  # fmt: skip
        deadline = time.monotonic() + REDIS_READY_SECONDS
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    self.redis_down = False
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {self._port}")

    def stop_redis(self) -> None:
        """SHUTDOWN NOSAVE: everything in memory (queued jobs, profiles, rate counters) is gone."""
        self.redis_down = True
        with contextlib.suppress(redis.ConnectionError):  # the server closes the connection as it goes
            self.client().shutdown(nosave=True)
        if self.redis_process is not None:
            self.redis_process.wait(timeout=STOP_GRACE_SECONDS)

    # -- workers and scheduler -----------------------------------------------------------------------

    def start_worker(self) -> int:
        self._started += 1
        self.workers[self._started] = self._spawn(self._worker)
        return self._started

    def kill_worker(self, number: int) -> None:
        """SIGKILL the worker mid-job, with its session, and start a fresh one."""
        _kill_session(self.workers.pop(number))
        self.event(f"worker {number} killed (SIGKILL to its session); worker {self.start_worker()} started")

    def start_scheduler(self) -> None:
        self.scheduler = self._spawn([str(common.BIN / "dalili"), "scheduler"])

    def supervise(self) -> None:
        """Restart what exited on its own (at most every RESTART_BACKOFF_SECONDS per kind)."""
        for number, process in list(self.workers.items()):
            if process.poll() is not None and self._may_restart("worker"):
                del self.workers[number]
                self.exits["worker"] += 1
                started = self.start_worker()
                self.event(
                    f"worker {number} exited on its own ({process.returncode}); worker {started} started"
                )
        if (
            self.scheduler is not None
            and self.scheduler.poll() is not None
            and self._may_restart("scheduler")
        ):
            self.exits["scheduler"] += 1
            self.event(f"scheduler exited on its own ({self.scheduler.returncode}); restarted")
            self.start_scheduler()
        if not self.redis_down and self.redis_process is not None and self.redis_process.poll() is not None:
            self.exits["redis"] += 1
            self.event(f"redis-server exited on its own ({self.redis_process.returncode}); restarted")
            self.start_redis()

    def _may_restart(self, kind: str) -> bool:
        now = time.monotonic()
        if now - self._last_restart.get(kind, 0.0) < RESTART_BACKOFF_SECONDS:
            return False
        self._last_restart[kind] = now
        return True

    def stop(self) -> None:
        """SIGTERM every group (a warm shutdown), SIGKILL what is left after the grace period; Redis last."""
        processes = [*self.workers.values(), *([self.scheduler] if self.scheduler else [])]
        for process in processes:
            _signal_group(process, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                _kill_session(process)
        if self.redis_process is not None and self.redis_process.poll() is None:
            self.stop_redis()
        self._log.close()


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def _kill_session(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process's group first (no new fork can follow), then the rest of its session."""
    _signal_group(process, signal.SIGKILL)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                if os.getsid(int(entry.name)) == process.pid:
                    os.kill(int(entry.name), signal.SIGKILL)
    process.wait()


class Faults(threading.Thread):
    """Kills a worker once in every ``kill_every`` seconds of the load, at a random moment, restarts
    Redis once, and supervises the fleet until stopped (through the drain too, without faults)."""

    def __init__(
        self,
        fleet: Fleet,
        *,
        duration: float,
        kill_every: float,
        redis_restart_at: float,
        redis_down_s: float,
        before_redis_stop: Callable[[], None],
        seed: int,
    ) -> None:
        super().__init__(name="soak-faults", daemon=True)
        rng = random.Random(seed)
        self._fleet, self._rng = fleet, rng
        periods = int(duration // kill_every) if kill_every > 0 else 0
        self._kills = sorted(k * kill_every + rng.uniform(0, kill_every) for k in range(periods))
        self._redis_at: float | None = redis_restart_at if 0 <= redis_restart_at < duration else None
        self._redis_down_s = redis_down_s
        self._before_redis_stop = before_redis_stop
        self._halt = threading.Event()
        self.redis_gap: tuple[float, float] | None = None
        """Seconds since the load started when Redis went down and when it answered again."""
        self.failure: str | None = None

    def run(self) -> None:
        try:
            while not self._halt.wait(SUPERVISE_SECONDS):
                self._fleet.supervise()
                now = self._fleet.now()
                while self._kills and self._kills[0] <= now:
                    self._kills.pop(0)
                    if self._fleet.workers:
                        self._fleet.kill_worker(self._rng.choice(sorted(self._fleet.workers)))
                if self._redis_at is not None and self._redis_at <= now:
                    self._redis_at = None
                    self._restart_redis()
        except Exception as exc:  # the main thread reports it; a silent supervisor would fake a clean run
            self.failure = repr(exc)
            raise

    def _restart_redis(self) -> None:
        self._before_redis_stop()
        down = self._fleet.now()
        self._fleet.stop_redis()
        self._fleet.event("redis-server stopped (SHUTDOWN NOSAVE)")
        self._halt.wait(self._redis_down_s)
        self._fleet.start_redis()
        self.redis_gap = (down, self._fleet.now())
        self._fleet.event(f"redis-server started again, empty, after {self.redis_gap[1] - down:.1f} s")

    def stop(self) -> None:
        self._halt.set()
        self.join()

"""What the HTTP benchmarks share: one throwaway deployment of Dalili, served by gunicorn on loopback.

Each benchmark (bench/intake, bench/ussd) calls, in order: ``require_wrk``, ``results_path``,
``free_port``, ``deployment_env``, ``prepare`` (empty PostgreSQL and Redis, migrate), then runs wrk
inside ``serving`` (gunicorn started, ready, and always stopped), and ends with ``write_results``.
What it sends, and what it reports, stay in its own run.py.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import redis
from psycopg import sql
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
TRIVIAL = "/healthz"
WORKERS = 2


def require_wrk() -> str:
    """The path of wrk, or exit saying how to install it."""
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk not found: install it with `apt-get install wrk`")
    return wrk


def results_path(name: str) -> tuple[str, Path]:
    """The run's UTC timestamp and the path of its gunicorn log, in the (created) results folder."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    return stamp, RESULTS / f"{name}-{stamp}.gunicorn.log"


def write_results(name: str, stamp: str, result: Mapping[str, Any]) -> None:
    """Write the run's JSON next to its gunicorn log and say where."""
    out = RESULTS / f"{name}-{stamp}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nresults: {out.relative_to(ROOT)}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def local_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def libpq(url: str, database: str | None = None) -> str:
    """A SQLAlchemy URL as a libpq connection string for psycopg, optionally on another database."""
    parsed = make_url(url).set(drivername="postgresql")
    if database:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def reset_database(url: str) -> None:
    """Drop and recreate the bench database so every run starts empty."""
    name = make_url(url).database
    assert name, "the database URL needs a database name"
    with psycopg.connect(libpq(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def deployment_env(base: str, database_url: str, redis_url: str, extra: dict[str, str]) -> dict[str, str]:
    """This process's environment without any DALILI_* setting, then the bench deployment's, then EXTRA."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DALILI_")}
    env |= {
        "DALILI_DATABASE_URL": database_url,
        "DALILI_REDIS_URL": redis_url,
        "DALILI_PUBLIC_URL": base,
        "DALILI_LOG_LEVEL": "WARNING",
    }
    return env | extra


def prepare(database_url: str, redis_url: str, env: dict[str, str]) -> None:
    """Empty the bench database and Redis database, then run `dalili db upgrade` with ENV."""
    print(f"resetting database and Redis; migrating ({database_url})", file=sys.stderr)
    reset_database(database_url)
    redis.Redis.from_url(redis_url).flushdb()
    migrate = [str(BIN / "dalili"), "db", "upgrade"]
    subprocess.run(migrate, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def wait_ready(base: str, server: subprocess.Popen[bytes], log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}; see {log}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(base + TRIVIAL, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:  # refused, reset or timed out while the workers boot
            pass
        time.sleep(0.2)
    sys.exit(f"gunicorn did not answer {TRIVIAL} within {timeout:.0f} s; see {log}")


@contextmanager
def serving(port: int, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Gunicorn (WORKERS sync workers) serving ``app:create_app()`` on PORT, logging to LOG.

    Yields once it answers TRIVIAL; stops it on the way out, whatever happened (killed after 15 s)."""
    with log.open("wb") as out:
        server = subprocess.Popen(
            [BIN / "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", "app:create_app()"],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_ready(local_url(port), server, log)
            yield server
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def run_wrk(
    wrk: str, script: Path, url: str, *script_args: str, threads: int, connections: int, duration: int
) -> dict[str, Any]:
    """Run ``wrk --latency`` with SCRIPT against URL and return the JSON line printed by its done()."""
    command = [wrk, "--latency", f"-t{threads}", f"-c{connections}", f"-d{duration}s"]
    command += ["-s", str(script), url, "--", *script_args]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result: dict[str, Any] = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
    result["requests_per_s"] = result["requests"] / result["duration_s"]
    result["wrk_report"] = output
    return result

"""USSD benchmark: how fast Dalili answers the hops of many USSD sessions, against its trivial endpoint.

What is measured. Gunicorn (2 sync workers) serves ``app:create_app()`` on loopback with a real
PostgreSQL database and Redis, both emptied first. ``wrk`` keeps ``--sessions`` simulated USSD
sessions going for ``--duration`` seconds, one per connection: each posts Africa's Talking-shaped
hops to ``POST /webhooks/africastalking/ussd?token=...`` (sessionId, phoneNumber, networkCode,
serviceCode, and text = every answer so far joined by ``*``) and starts a new session, with a new
sessionId and phone number, once the last hop is answered ``END``. A hop is answered from Redis and
memory only; the last one enqueues the report job ``ussd-<sessionId>`` on the ``intake`` queue (no
RQ worker runs). Then, in the same run and with the same concurrency, ``wrk`` hits ``GET /healthz``.

Walks (the real menu, channels/ussd_menu.py): half the phones have a cached profile with a home
area and report there (``"" -> category -> 1 home -> when -> 1 Send``, 5 hops), a quarter have one
but choose "Other place" and type a town (``"" -> category -> 2 -> when -> town``, 5 hops), and a
quarter are new, with no place to offer (``"" -> category -> when -> town``, 4 hops).

Reported: hops/s (requests/s), p50 and p99 latency and errors for both, per step of the walk too;
the p99 target (at most 50 ms per hop); sessions completed against ``ussd-*`` jobs queued.

    python -m bench.ussd.run [--duration 20] [--sessions 50] [--database-url URL] [--redis-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from app.ussd_state import save_profile
from bench.intake.run import TRIVIAL, free_port, reset_database, wait_ready
from channels.phone import pseudonymise
from channels.ussd_menu import PlaceOption
from config.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
WRK_SCRIPT = Path(__file__).with_name("wrk_ussd.lua")
BIN = Path(sys.executable).parent
TOKEN = "bench-token"
USSD = "/webhooks/africastalking/ussd"
WORKERS = 2
TARGET_P99_MS = 50.0
STEPS = ("open", "category", "place", "time", "send")

TOWNS = ("Bentiu", "Rubkona", "Malakal", "Yei", "Bor", "Wau", "Juba", "Leer", "Nasir", "Torit")
KINDS = ("home", "home", "other", "new")


def write_sessions(path: Path, count: int, seed: int = 2026) -> dict[str, str]:
    """Write COUNT sessions, one a line: the fixed form fields url-encoded, then the answers, tab-separated.

    Every sessionId and phone number is distinct. Returns phone -> home town for the phones whose
    profile is cached (the others are new reporters, offered no place)."""
    rng = random.Random(seed)
    homes: dict[str, str] = {}
    with path.open("w") as out:
        for number in rng.sample(range(10**8), count):
            phone, kind, town = f"+2119{number:08d}", rng.choice(KINDS), rng.choice(TOWNS)
            category, when = rng.choice("123456789"), rng.choice("123")
            if kind == "new":
                answers = [category, when, town]
            else:
                homes[phone] = rng.choice(TOWNS)
                answers = [category, "1", when, "1"] if kind == "home" else [category, "2", when, town]
            fields = {
                "sessionId": "ATUid_" + rng.randbytes(16).hex(), "phoneNumber": phone,
                "networkCode": "65902", "serviceCode": "*384*1234#",
            }  # fmt: skip
            out.write("\t".join([urllib.parse.urlencode(fields), *answers]) + "\n")
    return homes


def seed_profiles(client: redis.Redis, settings: Settings, homes: dict[str, str]) -> None:
    """Cache a profile (default language, home area) as the profile job would have."""
    with client.pipeline(transaction=False) as pipe:
        for phone, town in homes.items():
            key = pseudonymise(phone, pepper=settings.pepper, default_region=settings.default_country)
            save_profile(pipe, key, language=settings.default_language, places=[PlaceOption("home", town)])
        pipe.execute()


def run_wrk(wrk: str, url: str, args: argparse.Namespace, *script_args: str) -> dict[str, Any]:
    """Run wrk with one connection per thread and return the JSON line printed by wrk_ussd.lua's done()."""
    command = [wrk, "--latency", f"-t{args.sessions}", f"-c{args.sessions}", f"-d{args.duration}s"]
    command += ["-s", str(WRK_SCRIPT), url, "--", *script_args]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result: dict[str, Any] = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
    result["requests_per_s"] = result["requests"] / result["duration_s"]
    result["wrk_report"] = output
    return result


def queued_jobs(client: redis.Redis) -> dict[str, int]:
    queue = [job if isinstance(job, str) else job.decode() for job in client.lrange("rq:queue:intake", 0, -1)]
    return {
        "intake_queue_length": len(queue),
        "ussd_jobs_queued": sum(job.startswith("ussd-") for job in queue),
        "ussd_job_hashes": sum(1 for _ in client.scan_iter(match="rq:job:ussd-*", count=1000)),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per endpoint (default 20)")
    parser.add_argument("--sessions", type=int, default=50, help="concurrent sessions = connections")
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/dalili_bench_ussd"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--prepared", type=int, default=60_000, help="distinct sessions to prepare")
    args = parser.parse_args(argv)

    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk not found: install it with `apt-get install wrk`")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    log_path = RESULTS / f"ussd-{stamp}.gunicorn.log"

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DALILI_")}
    env |= {
        "DALILI_DATABASE_URL": args.database_url,
        "DALILI_REDIS_URL": args.redis_url,
        "DALILI_PUBLIC_URL": base,
        "DALILI_AT_WEBHOOK_TOKEN": TOKEN,
        "DALILI_LOG_LEVEL": "WARNING",
    }
    client = redis.Redis.from_url(args.redis_url)

    print(f"resetting database and Redis; migrating ({args.database_url})", file=sys.stderr)
    reset_database(args.database_url)
    client.flushdb()
    migrate = [str(BIN / "dalili"), "db", "upgrade"]
    subprocess.run(migrate, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)

    with tempfile.TemporaryDirectory(prefix="dalili-bench-") as tmp, log_path.open("wb") as log:
        sessions_file = Path(tmp) / "sessions.tsv"
        print(f"preparing {args.prepared} distinct sessions; caching their profiles", file=sys.stderr)
        homes = write_sessions(sessions_file, args.prepared)
        seed_profiles(client, Settings.from_env(env), homes)
        server = subprocess.Popen(
            [BIN / "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", "app:create_app()"],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_ready(base, server, log_path)
            print(f"wrk: {args.sessions} USSD sessions on POST {USSD} for {args.duration} s", file=sys.stderr)
            url = f"{base}{USSD}?token={TOKEN}"
            ussd = run_wrk(wrk, url, args, str(sessions_file), str(args.sessions))
            print(f"wrk: GET {TRIVIAL} for {args.duration} s", file=sys.stderr)
            trivial = run_wrk(wrk, base + TRIVIAL, args)
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    jobs = queued_jobs(client)

    def row(name: str, rate: float, p50: float, p99: float, errors: int | str) -> None:
        print(f"{name:<40} {rate:>9.1f} {p50:>8.2f} {p99:>8.2f} {errors:>7}")

    print(f"\n{'endpoint':<40} {'hops/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, r in ((f"POST {USSD}", ussd), (f"GET {TRIVIAL} (req/s)", trivial)):
        row(name, r["requests_per_s"], r["p50_ms"], r["p99_ms"], sum(r["errors"].values()))
        for step in STEPS:
            if s := r["steps"].get(step):
                row(f"  hop: {step}", s["count"] / r["duration_s"], s["p50_ms"], s["p99_ms"], "")
    errors = ussd["errors"]
    if sum(errors.values()) or ussd["lost"]:
        print(f"USSD errors: {errors}, hops unanswered: {ussd['lost']}; see {log_path.relative_to(ROOT)}")
    verdict = "met" if ussd["p99_ms"] <= TARGET_P99_MS else "NOT met"
    print(f"\np99 per USSD hop: {ussd['p99_ms']:.2f} ms  (target <= {TARGET_P99_MS:.0f} ms: {verdict})")
    print(
        f"sessions: {ussd['started']} started, {ussd['completed']} completed (END), "
        f"reused: {ussd['reused']}\n"
        f"ussd-* jobs queued on intake: {jobs['ussd_jobs_queued']} (queue length "
        f"{jobs['intake_queue_length']}, ussd-* job hashes {jobs['ussd_job_hashes']})"
    )
    missing = ussd["completed"] - jobs["ussd_jobs_queued"]
    if missing > 0:
        print(f"  LOST: {missing} completed session(s) have no ussd-* job")
    elif missing < 0:
        print(f"  {-missing} more jobs than completed sessions: last hop in flight when wrk stopped")

    result = {
        "timestamp": stamp,
        "config": {
            "duration_s": args.duration, "sessions": args.sessions, "wrk_threads": args.sessions,
            "gunicorn_workers": WORKERS, "cpus": os.cpu_count(), "sessions_prepared": args.prepared,
            "database_url": args.database_url, "redis_url": args.redis_url,
            "gunicorn_cmd_args": os.environ.get("GUNICORN_CMD_ARGS", ""),
        },
        "ussd": ussd,
        "trivial": trivial,
        "target_p99_ms": TARGET_P99_MS,
        "target_met": ussd["p99_ms"] <= TARGET_P99_MS,
        "jobs": jobs,
        "gunicorn_log": str(log_path),
    }  # fmt: skip
    out = RESULTS / f"ussd-{stamp}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nresults: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

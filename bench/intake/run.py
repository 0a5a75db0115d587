"""Intake benchmark: how fast Dalili stores signed Twilio SMS, against its trivial endpoint.

What is measured. Gunicorn (2 sync workers) serves ``app:create_app()`` on loopback with a real
PostgreSQL database and Redis queue, both emptied first. ``wrk`` posts pre-signed, Twilio-shaped
inbound SMS to ``POST /webhooks/twilio/sms`` for ``--duration`` seconds: each request is verified
(HMAC signature), parsed, pseudonymised, committed to ``inbound_messages`` and enqueued on Redis
before the 200 answer, exactly as in production (no RQ worker runs, so triage is not measured).
Every MessageSid is distinct, so every request is a new message. Then, in the same run and with
the same load, ``wrk`` hits ``GET /healthz``: the cost of Flask and gunicorn alone.

Reported: requests/s, p50 and p99 latency and errors for both, the ratio of intake to trivial
requests/s (the target is at least 0.5), and the rows stored, which must equal the 2xx answers.

    python -m bench.intake.run [--duration 20] [--connections 32] [--threads 2]
        [--database-url URL] [--redis-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import redis
from psycopg import sql
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
WRK_SCRIPT = Path(__file__).with_name("wrk_post.lua")
BIN = Path(sys.executable).parent
TOKEN = "bench-token"
INTAKE, TRIVIAL = "/webhooks/twilio/sms", "/healthz"
WORKERS = 2
TARGET_RATIO = 0.5

CATEGORIES = ("1", "2", "3", "4", "5", "7", "8", "9", "ARM", "FIG", "ATK")
TOWNS = ("Bentiu", "Rubkona", "Malakal", "Yei", "Bor", "Wau", "Juba", "Leer", "Nasir", "Torit")
WHAT = (
    "armed men near the market",
    "soldiers at the checkpoint stopping women",
    "shooting since morning near the river",
    "they took two girls on the road to the borehole",
    "cattle raid last night, houses burned",
    "families fleeing toward the PoC",
    "threats against the women's group leader",
    "men with guns at the water point",
)


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


def count_rows(url: str) -> int:
    with psycopg.connect(libpq(url)) as conn:
        row = conn.execute("SELECT count(*) FROM inbound_messages").fetchone()
    assert row is not None
    return int(row[0])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def write_requests(path: Path, url: str, count: int, seed: int = 2026) -> None:
    """Write COUNT signed inbound SMS, one ``body<TAB>signature`` a line, all MessageSids distinct."""
    rng = random.Random(seed)
    validator = RequestValidator(TOKEN)
    senders = [f"+2119{rng.randrange(10**8):08d}" for _ in range(5000)]
    with path.open("w") as out:
        for _ in range(count):
            sid = "SM" + rng.randbytes(16).hex()
            body = f"{rng.choice(CATEGORIES)} {rng.choice(TOWNS)} {rng.choice(WHAT)}"
            params = {
                "ToCountry": "SS", "ToState": "", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "",
                "FromZip": "", "SmsSid": sid, "FromState": "", "SmsStatus": "received", "FromCity": "",
                "Body": body, "FromCountry": "SS", "To": "+211920000000", "ToZip": "", "NumSegments": "1",
                "MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": rng.choice(senders),
                "ApiVersion": "2010-04-01",
            }  # fmt: skip
            signature = validator.compute_signature(url, params)
            out.write(f"{urllib.parse.urlencode(params)}\t{signature}\n")


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


def run_wrk(wrk: str, url: str, args: argparse.Namespace, *script_args: str) -> dict[str, Any]:
    """Run wrk against URL and return the JSON line printed by wrk_post.lua's done()."""
    command = [wrk, "--latency", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s"]
    command += ["-s", str(WRK_SCRIPT), url, "--", *script_args]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result: dict[str, Any] = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
    result["requests_per_s"] = result["requests"] / result["duration_s"]
    result["wrk_report"] = output
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per endpoint (default 20)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/dalili_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--messages", type=int, default=150_000, help="distinct signed SMS to prepare")
    args = parser.parse_args(argv)

    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk not found: install it with `apt-get install wrk`")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    log_path = RESULTS / f"intake-{stamp}.gunicorn.log"

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DALILI_")}
    env |= {
        "DALILI_DATABASE_URL": args.database_url,
        "DALILI_REDIS_URL": args.redis_url,
        "DALILI_PUBLIC_URL": base,
        "DALILI_TWILIO_AUTH_TOKEN": TOKEN,
        "DALILI_LOG_LEVEL": "WARNING",
        # One load generator on one address: the flood guard would answer 429 to most of it.
        "DALILI_SOURCE_RATE_LIMIT": "100000000",
    }

    print(f"resetting database and Redis; migrating ({args.database_url})", file=sys.stderr)
    reset_database(args.database_url)
    redis.Redis.from_url(args.redis_url).flushdb()
    migrate = [str(BIN / "dalili"), "db", "upgrade"]
    subprocess.run(migrate, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)

    with tempfile.TemporaryDirectory(prefix="dalili-bench-") as tmp, log_path.open("wb") as log:
        requests_file = Path(tmp) / "requests.tsv"
        print(f"signing {args.messages} distinct SMS", file=sys.stderr)
        write_requests(requests_file, base + INTAKE, args.messages)
        server = subprocess.Popen(
            [BIN / "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", "app:create_app()"],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_ready(base, server, log_path)
            print(f"wrk: POST {INTAKE} for {args.duration} s", file=sys.stderr)
            intake = run_wrk(wrk, base + INTAKE, args, str(requests_file), str(args.threads))
            print(f"wrk: GET {TRIVIAL} for {args.duration} s", file=sys.stderr)
            trivial = run_wrk(wrk, base + TRIVIAL, args)
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    rows = count_rows(args.database_url)

    ratio = intake["requests_per_s"] / trivial["requests_per_s"]
    print(f"\n{'endpoint':<26} {'requests/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, r in ((f"POST {INTAKE}", intake), (f"GET {TRIVIAL}", trivial)):
        errors = sum(r["errors"].values())
        print(f"{name:<26} {r['requests_per_s']:>10.1f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {errors:>7}")
    if sum(intake["errors"].values()):
        print(f"intake errors: see {log_path.relative_to(ROOT)}")
    verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
    print(f"\nratio intake/trivial (requests/s): {ratio:.2f}  (target >= {TARGET_RATIO}: {verdict})")
    print(
        f"inbound_messages rows: {rows}  (intake 2xx: {intake['ok']}, requests sent: {intake['sent']}, "
        f"duplicate MessageSids sent: {intake['duplicates']})"
    )
    if rows < intake["ok"]:
        print(f"  LOST: {intake['ok'] - rows} acknowledged message(s) are not in the database")
    elif rows > intake["ok"]:
        print(f"  {rows - intake['ok']} more rows than 2xx: in flight when wrk stopped (stored, not counted)")

    result = {
        "timestamp": stamp,
        "config": {
            "duration_s": args.duration, "connections": args.connections, "wrk_threads": args.threads,
            "gunicorn_workers": WORKERS, "cpus": os.cpu_count(), "messages_prepared": args.messages,
            "database_url": args.database_url, "redis_url": args.redis_url,
            "gunicorn_cmd_args": os.environ.get("GUNICORN_CMD_ARGS", ""),
        },
        "intake": intake,
        "trivial": trivial,
        "ratio_requests_per_s": ratio,
        "target_ratio": TARGET_RATIO,
        "inbound_rows": rows,
        "gunicorn_log": str(log_path),
    }  # fmt: skip
    out = RESULTS / f"intake-{stamp}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nresults: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

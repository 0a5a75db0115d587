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
import os
import random
import sys
import tempfile
import urllib.parse
from pathlib import Path

import psycopg
from twilio.request_validator import RequestValidator

from bench import common

WRK_SCRIPT = Path(__file__).with_name("wrk_post.lua")
TOKEN = "bench-token"
INTAKE = "/webhooks/twilio/sms"
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


def count_rows(url: str) -> int:
    with psycopg.connect(common.libpq(url)) as conn:
        row = conn.execute("SELECT count(*) FROM inbound_messages").fetchone()
    assert row is not None
    return int(row[0])


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per endpoint (default 20)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/dalili_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--messages", type=int, default=150_000, help="distinct signed SMS to prepare")
    args = parser.parse_args(argv)

    wrk = common.require_wrk()
    stamp, log_path = common.results_path("intake")

    port = common.free_port()
    base = common.local_url(port)
    env = common.deployment_env(
        base,
        args.database_url,
        args.redis_url,
        {
            "DALILI_TWILIO_AUTH_TOKEN": TOKEN,
            # One load generator on one address: the flood guard would answer 429 to most of it.
            "DALILI_SOURCE_RATE_LIMIT": "100000000",
        },
    )
    common.prepare(args.database_url, args.redis_url, env)

    with tempfile.TemporaryDirectory(prefix="dalili-bench-") as tmp:
        requests_file = Path(tmp) / "requests.tsv"
        print(f"signing {args.messages} distinct SMS", file=sys.stderr)
        write_requests(requests_file, base + INTAKE, args.messages)
        load = {"threads": args.threads, "connections": args.connections, "duration": args.duration}
        with common.serving(port, env, log_path):
            print(f"wrk: POST {INTAKE} for {args.duration} s", file=sys.stderr)
            intake = common.run_wrk(
                wrk, WRK_SCRIPT, base + INTAKE, str(requests_file), str(args.threads), **load
            )
            print(f"wrk: GET {common.TRIVIAL} for {args.duration} s", file=sys.stderr)
            trivial = common.run_wrk(wrk, WRK_SCRIPT, base + common.TRIVIAL, **load)
    rows = count_rows(args.database_url)

    ratio = intake["requests_per_s"] / trivial["requests_per_s"]
    print(f"\n{'endpoint':<26} {'requests/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, r in ((f"POST {INTAKE}", intake), (f"GET {common.TRIVIAL}", trivial)):
        errors = sum(r["errors"].values())
        print(f"{name:<26} {r['requests_per_s']:>10.1f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {errors:>7}")
    if sum(intake["errors"].values()):
        print(f"intake errors: see {log_path.relative_to(common.ROOT)}")
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
            "gunicorn_workers": common.WORKERS, "cpus": os.cpu_count(), "messages_prepared": args.messages,
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
    common.write_results("intake", stamp, result)


if __name__ == "__main__":
    main()

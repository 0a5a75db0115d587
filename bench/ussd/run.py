"""USSD benchmark: how fast Dalili answers the hops of many USSD sessions, against its trivial endpoint.

What is measured. Gunicorn (2 sync workers) serves ``app:create_app()`` on loopback with a real
PostgreSQL database and Redis, both emptied first. ``wrk`` keeps ``--sessions`` simulated USSD
sessions going for ``--duration`` seconds, one per connection: each posts Africa's Talking-shaped
hops to ``POST /webhooks/africastalking/ussd?token=...`` (sessionId, phoneNumber, networkCode,
serviceCode, and text = every answer so far joined by ``*``) and starts a new session, with a new
sessionId and phone number, once the last hop is answered ``END``. A hop is answered from Redis and
memory only; the last one commits the report to ``inbound_messages`` (keyed by its sessionId) and
enqueues its triage on the ``intake`` queue (no RQ worker runs). Then, in the same run and with
the same concurrency, ``wrk`` hits ``GET /healthz``.

Walks (the real menu, channels/ussd_menu.py): half the phones have a cached profile with a home
area and report there (``"" -> category -> 1 home -> when -> 1 Send``, 5 hops), a quarter have one
but choose "Other place" and type a town (``"" -> category -> 2 -> when -> town``, 5 hops), and a
quarter are new, with no place to offer (``"" -> category -> when -> town``, 4 hops).

Reported: hops/s (requests/s), p50 and p99 latency and errors for both, per step of the walk too;
the p99 target (at most 50 ms per hop); sessions completed against USSD reports stored.

    python -m bench.ussd.run [--duration 20] [--sessions 50] [--database-url URL] [--redis-url URL]
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
import redis

from app.infra.ussd_state import save_profile
from bench import common
from channels.phone import pseudonymise
from channels.ussd_menu import PlaceOption
from config.settings import Settings

WRK_SCRIPT = Path(__file__).with_name("wrk_ussd.lua")
TOKEN = "bench-token"
USSD = "/webhooks/africastalking/ussd"
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
            category, when = rng.choice("12345789"), rng.choice("123")  # 6, Election, opens a sub-menu
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


def stored_sessions(url: str) -> dict[str, int]:
    with psycopg.connect(common.libpq(url)) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT provider_message_id)"
            " FROM inbound_messages WHERE channel = 'ussd'"
        ).fetchone()
    assert row is not None
    return {"ussd_reports_stored": int(row[0]), "distinct_sessions": int(row[1])}


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

    wrk = common.require_wrk()
    stamp, log_path = common.results_path("ussd")

    port = common.free_port()
    base = common.local_url(port)
    env = common.deployment_env(base, args.database_url, args.redis_url, {"DALILI_AT_WEBHOOK_TOKEN": TOKEN})
    client = redis.Redis.from_url(args.redis_url)
    common.prepare(args.database_url, args.redis_url, env)

    with tempfile.TemporaryDirectory(prefix="dalili-bench-") as tmp:
        sessions_file = Path(tmp) / "sessions.tsv"
        print(f"preparing {args.prepared} distinct sessions; caching their profiles", file=sys.stderr)
        homes = write_sessions(sessions_file, args.prepared)
        seed_profiles(client, Settings.from_env(env), homes)
        # One connection per wrk thread: the script keeps one session going on each.
        load = {"threads": args.sessions, "connections": args.sessions, "duration": args.duration}
        with common.serving(port, env, log_path):
            print(f"wrk: {args.sessions} USSD sessions on POST {USSD} for {args.duration} s", file=sys.stderr)
            url = f"{base}{USSD}?token={TOKEN}"
            ussd = common.run_wrk(wrk, WRK_SCRIPT, url, str(sessions_file), str(args.sessions), **load)
            print(f"wrk: GET {common.TRIVIAL} for {args.duration} s", file=sys.stderr)
            trivial = common.run_wrk(wrk, WRK_SCRIPT, base + common.TRIVIAL, **load)
    stored = stored_sessions(args.database_url)

    def row(name: str, rate: float, p50: float, p99: float, errors: int | str) -> None:
        print(f"{name:<40} {rate:>9.1f} {p50:>8.2f} {p99:>8.2f} {errors:>7}")

    print(f"\n{'endpoint':<40} {'hops/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, r in ((f"POST {USSD}", ussd), (f"GET {common.TRIVIAL} (req/s)", trivial)):
        row(name, r["requests_per_s"], r["p50_ms"], r["p99_ms"], sum(r["errors"].values()))
        for step in STEPS:
            if s := r["steps"].get(step):
                row(f"  hop: {step}", s["count"] / r["duration_s"], s["p50_ms"], s["p99_ms"], "")
    errors = ussd["errors"]
    if sum(errors.values()) or ussd["lost"]:
        print(
            f"USSD errors: {errors}, hops unanswered: {ussd['lost']}; see {log_path.relative_to(common.ROOT)}"
        )
    verdict = "met" if ussd["p99_ms"] <= TARGET_P99_MS else "NOT met"
    print(f"\np99 per USSD hop: {ussd['p99_ms']:.2f} ms  (target <= {TARGET_P99_MS:.0f} ms: {verdict})")
    print(
        f"sessions: {ussd['started']} started, {ussd['completed']} completed (END), "
        f"reused: {ussd['reused']}\n"
        f"USSD reports stored: {stored['ussd_reports_stored']} "
        f"({stored['distinct_sessions']} distinct sessions)"
    )
    missing = ussd["completed"] - stored["ussd_reports_stored"]
    if missing > 0:
        print(f"  LOST: {missing} completed session(s) have no stored report")
    elif missing < 0:
        print(f"  {-missing} more reports than completed sessions: last hop in flight when wrk stopped")

    result = {
        "timestamp": stamp,
        "config": {
            "duration_s": args.duration, "sessions": args.sessions, "wrk_threads": args.sessions,
            "gunicorn_workers": common.WORKERS, "cpus": os.cpu_count(), "sessions_prepared": args.prepared,
            "database_url": args.database_url, "redis_url": args.redis_url,
            "gunicorn_cmd_args": os.environ.get("GUNICORN_CMD_ARGS", ""),
        },
        "ussd": ussd,
        "trivial": trivial,
        "target_p99_ms": TARGET_P99_MS,
        "target_met": ussd["p99_ms"] <= TARGET_P99_MS,
        "stored": stored,
        "gunicorn_log": str(log_path),
    }  # fmt: skip
    common.write_results("ussd", stamp, result)


if __name__ == "__main__":
    main()

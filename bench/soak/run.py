"""Soak benchmark: mixed SMS, WhatsApp and USSD traffic for ten minutes while workers and Redis fail.

What is measured. A whole deployment runs on loopback: gunicorn as the Procfile starts it (2 workers,
8 threads), ``--workers`` ``dalili worker`` processes, one ``dalili scheduler`` (its sweep re-queues
what the database says is undone after 60 s), PostgreSQL, and a redis-server of the soak's own with
no persistence (``--appendonly no --save ""``), so a restart loses every job it held. An open-loop
generator sends ``--rate`` messages a second for ``--duration`` seconds: 50 % signed Twilio SMS, 20 %
Twilio WhatsApp, 15 % Africa's Talking SMS and 15 % USSD sessions, 5 % of them sent again with the
same provider id. Once in every ``--kill-every`` seconds one worker is SIGKILLed at a random moment
with everything in its session (its scheduler too) and a fresh worker started; at
``--redis-restart-at`` Redis is shut down without saving and started again, empty. Then the soak
waits until every stored message is triaged and every report's follow-up ran, or nothing is left
to run, or ``--drain-timeout``.

Reported, per channel and in all: messages sent (acknowledged 2xx; a USSD session by its END screen),
stored, lost (acknowledged, not stored), triaged, waiting or held; follow-ups and receipts done,
still queued or lost (their job gone from Redis); duplicates (inbound rows per provider id, reports
per message, replies per report and kind, replies recorded twice); answers by status (during the
Redis gap too); webhook latency and triage latency (report created - acknowledged) percentiles; the
drain. Replies go to the recording senders: no provider credential is set, so every provider's
sender is app.infra.senders.RecordingSender, and staff alerts are recorded too.

    python -m bench.soak.run [--duration 600] [--rate 200] [--workers 2] [--kill-every 60]
        [--redis-restart-at SECONDS] [--database-url URL] [--redis-port 6390] [--drain-timeout 1800]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sys
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from alerts.models import utcnow
from alerts.reporters.contacts import create_network, register_monitor
from alerts.reporters.vault import Vault
from alerts.unit_of_work import UnitOfWork
from app.infra.database import make_engine, make_session_factory
from bench import common
from bench.intake.run import TOWNS
from bench.soak import tally
from bench.soak.processes import Faults, Fleet
from bench.soak.traffic import MIX, TOKEN, Generator, Load, answers_by_status, describe
from bench.ussd.run import seed_profiles
from channels.phone import canonical_address, pseudonymise
from channels.ussd_menu import load_menus
from config.settings import Settings

ROUTING = Path(__file__).with_name("routing.toml")
WEB_THREADS = 8
"""Threads per gunicorn worker, as the Procfile's default (WEB_THREADS)."""
PHONES = 20_000
"""Distinct senders: about one message per sender per minute at 200/s, far below the per-reporter limit."""
MONITORS = 500
"""Registered monitors among them (home area, profile cached), so USSD offers them their place."""
NETWORK = "Soak network"
SEED = 2026
LEAD_SECONDS = 3.0
"""Between starting the workers and the first message due."""
REDIS_DOWN_SECONDS = 5.0
DRAIN_POLL_SECONDS = 10.0
IDLE_POLLS = 3
"""Polls in a row with nothing queued, running or waiting to be swept before the drain gives up."""


class Clock:
    """Seconds since the load started, for every event of the run."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    def __call__(self) -> float:
        return time.monotonic() - self.start


def register_monitors(database_url: str, settings: Settings, fleet: Fleet) -> tuple[list[str], list[str]]:
    """PHONES distinct numbers, the first MONITORS registered with a home area and their profile cached."""
    rng = random.Random(SEED)
    phones = [f"+2119{number:08d}" for number in rng.sample(range(10**8), PHONES)]
    engine = make_engine(database_url)
    session_factory = make_session_factory(engine, audit_key=settings.audit_key)
    create_network(NETWORK, country="SS", area_name="Bentiu", join_code=None, uow=UnitOfWork(session_factory))
    vault, homes = Vault(settings.vault_keys), {}
    for phone in phones[:MONITORS]:
        homes[phone] = rng.choice(TOWNS)
        register_monitor(
            pseudonymise(phone, pepper=settings.pepper, default_region=settings.default_country),
            network_name=NETWORK, language=settings.default_language,
            address=canonical_address(phone, settings.default_country), consent_followup=False,
            consent_callback=False, home_area_name=homes[phone], uow=UnitOfWork(session_factory),
            vault=vault, now=utcnow(),
        )  # fmt: skip
    engine.dispose()
    seed_profiles(fleet.client(), settings, homes)
    return phones, phones[:MONITORS]


def wait_drained(database_url: str, fleet: Fleet, timeout: float) -> dict[str, Any]:
    """Poll until every message is triaged with its follow-up, nothing is left to run, or TIMEOUT."""
    began, idle, history = time.monotonic(), 0, []
    while True:
        elapsed = time.monotonic() - began
        progress = tally.progress(database_url, fleet.client())
        print(progress.line(elapsed), flush=True)
        history.append({"at_s": round(elapsed, 1), **asdict(progress)})
        nothing_left = progress.waiting == 0 and progress.pending_jobs == 0
        if nothing_left and progress.without_follow_up == 0:
            outcome = "complete"
        elif (idle := idle + 1 if nothing_left else 0) >= IDLE_POLLS:
            outcome = "idle"  # what is still missing will not come: its job is gone
        elif elapsed >= timeout:
            outcome = "timeout"
        else:
            time.sleep(DRAIN_POLL_SECONDS)
            continue
        return {"outcome": outcome, "seconds": elapsed, "progress": history}


def in_gap(load: Load, gap: tuple[float, float] | None) -> dict[str, dict[str, int]]:
    if gap is None:
        return {}
    return answers_by_status([a for a in load.answers if gap[0] <= a.sent_at <= gap[1]])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of load (default 600)")
    parser.add_argument("--rate", type=float, default=200.0, help="messages a second (default 200)")
    parser.add_argument("--workers", type=int, default=2, help="dalili worker processes (default 2)")
    parser.add_argument(
        "--kill-every", type=float, default=60.0, help="seconds between worker kills; 0: none"
    )
    parser.add_argument(
        "--redis-restart-at", type=float, help="seconds into the load (default duration/2; negative: never)"
    )
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/dalili_bench_soak"
    )
    parser.add_argument("--redis-port", type=int, default=6390, help="port of the soak's own redis-server")
    parser.add_argument("--drain-timeout", type=float, default=1800.0, help="seconds (default 1800)")
    args = parser.parse_args(argv)
    redis_restart_at = args.duration / 2 if args.redis_restart_at is None else args.redis_restart_at

    stamp, gunicorn_log = common.results_path("soak")
    processes_log = common.RESULTS / f"soak-{stamp}.processes.log"
    port = common.free_port()
    base = common.local_url(port)
    redis_url = f"redis://127.0.0.1:{args.redis_port}/0"
    env = common.deployment_env(
        base,
        args.database_url,
        redis_url,
        {
            "DALILI_TWILIO_AUTH_TOKEN": TOKEN,
            "DALILI_AT_WEBHOOK_TOKEN": TOKEN,
            # One load generator on one address: the flood guard would answer 429 to most of it.
            "DALILI_SOURCE_RATE_LIMIT": "100000000",
            "DALILI_ROUTING_FILE": str(ROUTING),
        },
    )
    env.setdefault("GUNICORN_CMD_ARGS", f"--threads {WEB_THREADS}")
    settings = Settings.from_env(env)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop what the soak started on the way out
    clock = Clock()
    fleet = Fleet(env, processes_log, args.redis_port, clock)
    refs_before_restart: Counter[str] = Counter()
    faults: Faults | None = None
    fleet.start_redis()
    try:
        common.prepare(args.database_url, redis_url, env)
        print(f"registering {MONITORS} monitors among {PHONES} phones", file=sys.stderr)
        phones, monitors = register_monitors(args.database_url, settings, fleet)
        menu = load_menus().for_language(settings.default_language)
        with common.serving(port, env, gunicorn_log):
            fleet.start_scheduler()
            for _ in range(args.workers):
                fleet.start_worker()
            clock.start = time.monotonic() + LEAD_SECONDS
            faults = Faults(
                fleet, duration=args.duration, kill_every=args.kill_every, redis_restart_at=redis_restart_at,
                redis_down_s=REDIS_DOWN_SECONDS, seed=SEED,
                before_redis_stop=lambda: refs_before_restart.update(tally.recorded_refs(fleet.client())),
            )  # fmt: skip
            faults.start()
            print(f"load: {args.rate:g} messages/s for {args.duration:g} s on {base}", file=sys.stderr)
            generator = Generator(
                base, rate=args.rate, duration=args.duration, t0=clock.start, phones=phones,
                monitors=monitors, menu=menu, seed=SEED,
            )  # fmt: skip
            load = asyncio.run(generator.run())
        print(
            f"load done after {load.elapsed_s:.0f} s; draining (up to {args.drain_timeout:g} s)",
            file=sys.stderr,
        )
        drain = wait_drained(args.database_url, fleet, args.drain_timeout)
        faults.stop()
        refs = refs_before_restart + tally.recorded_refs(fleet.client())
        restarted = load.started_at + faults.redis_gap[0] if faults.redis_gap else None
        counts = tally.tally(
            args.database_url, load.messages, refs, fleet.client(), redis_restarted_at=restarted
        )
    finally:
        try:
            if faults is not None and faults.is_alive():
                faults.stop()
        finally:
            fleet.stop()

    assert faults is not None
    result = {
        "timestamp": stamp,
        "config": {
            "duration_s": args.duration, "rate": args.rate, "workers": args.workers,
            "kill_every_s": args.kill_every,
            "redis_restart_at_s": redis_restart_at,
            "redis_down_s": REDIS_DOWN_SECONDS, "drain_timeout_s": args.drain_timeout, "mix_percent": MIX,
            "phones": PHONES, "monitors": MONITORS, "cpus": os.cpu_count(), "database_url": args.database_url,
            "redis_url": redis_url, "gunicorn_workers": common.WORKERS,
            "gunicorn_cmd_args": env["GUNICORN_CMD_ARGS"],
        },
        "generator": describe(load),
        "acknowledged_per_s": counts["channels"]["all"]["sent"] / args.duration,
        "answers_by_status": answers_by_status(load.answers),
        "redis_gap_s": faults.redis_gap,
        "answers_during_redis_gap": in_gap(load, faults.redis_gap),
        "webhook_latency_ms": tally.webhook_latency(load.answers),
        "faults": {"events": fleet.events, "exits_on_their_own": dict(fleet.exits),
                   "supervisor_failure": faults.failure},
        "drain": drain,
        **counts,
        "logs": {"gunicorn": str(gunicorn_log), "processes": str(processes_log)},
    }  # fmt: skip
    print_table(result)
    common.write_results("soak", stamp, result)


def print_table(r: dict[str, Any]) -> None:
    config, generator, channels = r["config"], r["generator"], r["channels"]
    print(
        f"\nsoak: {config['duration_s']:g} s at {config['rate']:g} messages/s offered, "
        f"{config['workers']} workers (one killed every {config['kill_every_s']:g} s), "
        f"Redis restarted at {config['redis_restart_at_s']:g} s"
    )
    names = list(channels)
    print(f"\n{'messages':<24}" + "".join(f"{name:>10}" for name in names))
    for metric in channels["all"]:
        print(f"{metric:<24}" + "".join(f"{channels[name][metric]:>10}" for name in names))

    print(
        f"\nload: {generator['messages_started']} messages started, {generator['requests']} requests in "
        f"{generator['elapsed_s']:.0f} s; acknowledged {r['acknowledged_per_s']:.1f} messages/s; "
        f"schedule lag p99 {generator['lag_p99_ms']:.1f} ms, max {generator['lag_max_ms']:.0f} ms; "
        f"generator CPU {generator['cpu_s']:.0f} s; unexpected USSD screens {generator['unexpected_screens']}"
    )
    for example in generator["examples"]:
        print(f"  generator: {example}")

    print(f"\n{'webhook latency ms':<20} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>9}   answers by status")
    for route, p in r["webhook_latency_ms"].items():
        statuses = r["answers_by_status"].get(route, {})
        print(f"{route:<20} {p['p50']:>8.1f} {p['p95']:>8.1f} {p['p99']:>8.1f} {p['max']:>9.0f}   {statuses}")
    if r["redis_gap_s"]:
        start, end = r["redis_gap_s"]
        print(f"answers sent while Redis was down ({start:.1f}-{end:.1f} s): {r['answers_during_redis_gap']}")

    print(
        f"\n{'triage latency s':<20} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>9}"
        "   (report created - acknowledged)"
    )
    for channel, p in r["triage_latency_s"].items():
        print(f"{channel:<20} {p['p50']:>8.1f} {p['p95']:>8.1f} {p['p99']:>8.1f} {p['max']:>9.1f}")

    faults = r["faults"]
    kills = sum("killed" in text for _, text in faults["events"])
    print(f"\nfaults: {kills} worker kills; exits on their own: {faults['exits_on_their_own'] or 'none'}")
    drain = r["drain"]
    print(f"drain: {drain['outcome']} after {drain['seconds']:.0f} s")
    print(f"duplicates: {r['duplicates']}")
    print(f"receipts by status: {r['receipts_by_status']}; replies recorded: {r['replies_recorded']}")
    print(f"staff alerts: {r['staff_alerts']}")
    if r["held_by_status"]:
        print(f"held for review, by status: {r['held_by_status']}")
    every = channels["all"]
    if every["follow_up_lost"]:
        print(
            f"follow-ups lost: {every['follow_up_lost']}, of which "
            f"{r['follow_ups_lost_of_reports_before_redis_restart']} of reports made before Redis restarted"
        )
    if r["lost_examples"]:
        print(f"lost, e.g.: {r['lost_examples']}")
    doubled = sum(r["duplicates"].values())
    print(
        f"\nverdict: {every['lost']} lost, {doubled} doubled; {every['follow_up_lost']} follow-ups and "
        f"{every['receipt_lost']} receipts lost; still to do: {every['waiting']} messages waiting for "
        f"triage, {every['follow_up_pending']} follow-ups and {every['receipt_pending']} receipts queued"
    )


if __name__ == "__main__":
    main()

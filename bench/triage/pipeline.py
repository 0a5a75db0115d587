"""Triage with the database: what one worker process turns into incidents per second.

Per stored message, exactly the job path: ``process_inbound`` (classify, geocode, priority, report
and incident rows), ``suggest_duplicates`` (open incidents within the windows, credibility) and
``plan_staff_alerts`` (the routing rows for responders). Sending is excluded: it waits on SMTP or
HTTP, not on us. Messages are the labelled set repeated to ``--messages``, from 300 registered
monitors in six countries, spread over ``--days`` so that duplicate windows find real neighbours;
they are stored first (not timed). Each run starts from an empty, migrated database, on SQLite
(the embedded default, a file in a temporary folder) and on PostgreSQL (``--database-url``).

    python -m bench.triage.pipeline [--messages 2000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from alerts.incidents.corroboration import suggest_duplicates
from alerts.incidents.escalation import plan_staff_alerts
from alerts.intake.services import incident_of_report, process_inbound, record_inbound
from alerts.messages import RecordInbound
from alerts.models import Network, Reporter, utcnow
from app import migrate
from app.bootstrap import Services, build_services
from bench.common import RESULTS, ROOT, reset_database
from bench.triage.run import COUNTRIES, load_eval
from config.settings import Settings

MONITORS = 300
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/dalili_bench_triage"


def _services(database_url: str) -> Services:
    settings = Settings(database_url=database_url, redis_url="", layers=(), log_level="WARNING")
    services = build_services(settings)
    migrate.upgrade(services.engine)
    return services


def _store(services: Services, entries: list[dict[str, Any]], count: int, days: int) -> list[int]:
    rng = random.Random(7)
    with services.uow() as uow:
        networks = [Network(name=f"bench-{c}", country=c) for c in COUNTRIES]
        uow.session.add_all(networks)
        uow.session.flush()
        keys = [f"{n:064x}" for n in range(MONITORS)]
        uow.session.add_all(
            Reporter(key=key, network_id=networks[i % len(networks)].id, registered=True)
            for i, key in enumerate(keys)
        )
        uow.commit()
    now = utcnow()
    ids = []
    for n in range(count):
        entry = entries[n % len(entries)]
        receipt = record_inbound(
            RecordInbound(
                provider="bench",
                channel="sms",
                provider_message_id=f"bench-{n}",
                received_at=now - timedelta(minutes=rng.randrange(days * 24 * 60)),
                reporter_key=rng.choice(keys),
                content={"text": entry["text"]},
                payload={},
            ),
            uow=services.uow(),
            seal=services.number_seal,
        )
        ids.append(receipt.inbound_id)
    return ids


def _run(services: Services, inbound_ids: list[int]) -> float:
    services.geocoder.resolve("Juba", "SS")  # load the gazetteer before the clock starts
    start = time.perf_counter()
    for inbound_id in inbound_ids:
        report_id = process_inbound(
            inbound_id,
            uow=services.uow(),
            taxonomy=services.taxonomy,
            classifier=services.classifier,
            geocoder=services.geocoder,
        )
        assert report_id is not None
        incident_id = incident_of_report(report_id, uow=services.uow())
        suggest_duplicates(incident_id, uow=services.uow(), rules=services.cluster_rules)
        plan_staff_alerts(
            incident_id, "new", uow=services.uow(), routing=services.routing, taxonomy=services.taxonomy
        )
    return time.perf_counter() - start


def backend(name: str, url_for_run: Any, args: argparse.Namespace) -> dict[str, Any]:
    entries = load_eval()
    rates = []
    for run in range(args.runs):
        services = _services(url_for_run(run))
        try:
            ids = _store(services, entries, args.messages, args.days)
            rates.append(len(ids) / _run(services, ids))
        finally:
            services.engine.dispose()
        print(f"  {name} run {run + 1}: {rates[-1]:.0f} messages/s", flush=True)
    return {
        "messages": args.messages,
        "runs": args.runs,
        "messages_per_s": round(statistics.median(rates), 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--days", type=int, default=7, help="spread of the received times")
    parser.add_argument("--runs", type=int, default=3, help="runs per backend (median reported)")
    parser.add_argument("--database-url", default=DEFAULT_PG)
    args = parser.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        results["sqlite"] = backend(
            "sqlite", lambda run: f"sqlite:///{Path(folder) / f'bench-{run}.db'}", args
        )

    def fresh_postgres(run: int) -> str:
        reset_database(args.database_url)
        return str(args.database_url)

    results["postgresql"] = backend("postgresql", fresh_postgres, args)
    print(f"{'backend':<12}{'messages/s':>12}   (process_inbound + suggest_duplicates + plan_staff_alerts)")
    for name, result in results.items():
        print(f"{name:<12}{result['messages_per_s']:>12.0f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"triage-pipeline-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    out.write_text(json.dumps({"benchmark": "triage-pipeline", "results": results}, indent=2) + "\n")
    print(f"results: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

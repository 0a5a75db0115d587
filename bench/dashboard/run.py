"""Dashboard benchmark: server time of the review queue with a million incidents in PostgreSQL.

What is measured. ``alerts.incidents.review.list_queue`` — the JOC review queue, most urgent and soonest due
first, keyset-paginated — against a migrated PostgreSQL database holding ``--incidents``
synthetic incidents and their reports (``bench/dashboard/load.py``), exactly as the dashboard and
the API call it: the page query, the report counts of its 50 incidents, and ``json.dumps`` of the
page, in one process with the app's own engine and unit of work. No HTTP: the server's share of a
page load, not the network's. Six pages: (a) the first page, (b) one country and one category,
(c) a busy admin-1 area over the last 30 days, (d) the second page through the cursor of (a), (e) a
JOC officer's first page (verified incidents only), (f) a quiet admin-1 area over the last 30 days
(the worst case of (c)). Each is timed ``--runs`` times after 3
warm-ups; median and p95 are reported, with the plan of each page query (EXPLAIN ANALYZE, BUFFERS).

Target: median at most 150 ms for every page.

    python -m bench.dashboard.run [--incidents 1000000] [--runs 30] [--database-url URL] [--reuse]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from alerts.incidents.review import QueueFilter, QueuePage, list_queue
from alerts.messages import Viewer
from alerts.unit_of_work import UnitOfWork
from app import migrate
from app.infra.database import make_engine, make_session_factory
from bench import common
from bench.dashboard.load import load, vacuum_analyze
from config.settings import Settings

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/dalili_bench_dashboard"
TARGET_MS = 150.0
WARMUPS = 3
PAGE = 50
AREA = "SS06"
"""Unity State, South Sudan: one of the busiest admin-1 areas of the synthetic deployment."""
QUIET_AREA = "LB1"
"""Beirut: one of the quietest, where the newest open incidents are few and far down the queue."""

REVIEWER = Viewer(user_id=1, email="bench@example.org", role="triage_reviewer")
JOC = Viewer(user_id=2, email="joc@example.org", role="joc_officer")


@dataclass(frozen=True, slots=True)
class Page:
    key: str
    label: str
    viewer: Viewer
    filters: QueueFilter
    after: str | None = None


class Statements:
    """The SQL an engine sends: how long it waited on it, and the statements themselves while
    ``capture()`` is open, with their parameters."""

    def __init__(self, engine: Engine) -> None:
        self.seen: list[tuple[str, Any]] = []
        self.on = False
        self.waited = 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        conn.info["bench_started"] = time.perf_counter()
        if self.on:
            self.seen.append((statement, parameters))

    def _after(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        self.waited += time.perf_counter() - conn.info.pop("bench_started")

    @contextmanager
    def capture(self) -> Iterator[list[tuple[str, Any]]]:
        self.seen, self.on = [], True
        try:
            yield self.seen
        finally:
            self.on = False


def server_time(
    sessions: sessionmaker[Session], statements: Statements, page: Page
) -> tuple[float, float, QueuePage]:
    """Seconds for what the API view does (the queue page, then its JSON), and of those the
    seconds spent waiting on the database (SQL sent, rows back)."""
    statements.waited = 0.0
    start = time.perf_counter()
    result = list_queue(page.viewer, page.filters, uow=UnitOfWork(sessions), limit=PAGE, after=page.after)
    json.dumps({"incidents": result.items, "next": result.next_cursor})
    return time.perf_counter() - start, statements.waited, result


def percentile(samples: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def plan_nodes(node: dict[str, Any], depth: int = 0) -> Iterator[dict[str, Any]]:
    """The plan tree, depth-first, as flat summaries."""
    summary = {
        "depth": depth,
        "node": node["Node Type"],
        "index": node.get("Index Name"),
        "relation": node.get("Relation Name"),
        "actual_rows": node.get("Actual Rows"),
        "loops": node.get("Actual Loops"),
        "actual_total_ms": node.get("Actual Total Time"),
    }
    for field in ("Index Cond", "Filter", "Rows Removed by Filter", "Sort Method", "Heap Fetches"):
        if field in node:
            summary[field.lower().replace(" ", "_")] = node[field]
    yield summary
    for child in node.get("Plans", []):
        yield from plan_nodes(child, depth + 1)


def describe(nodes: list[dict[str, Any]]) -> str:
    """One line: the nodes, innermost last (``Limit > Index Scan using ix_incidents_queue``)."""
    parts = []
    for n in nodes:
        part = n["node"] + (f" using {n['index']}" if n["index"] else "")
        parts.append(part)
    return " > ".join(parts)


def explain(engine: Engine, statement: str, parameters: Any) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) of one captured statement, with its own parameters."""
    with engine.connect() as conn:
        raw = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters)
        document = raw.scalar_one()
    plan = (json.loads(document) if isinstance(document, str) else document)[0]
    nodes = list(plan_nodes(plan["Plan"]))
    top = plan["Plan"]
    return {
        "summary": describe(nodes),
        "execution_ms": plan["Execution Time"],
        "planning_ms": plan["Planning Time"],
        "shared_hit_blocks": top.get("Shared Hit Blocks"),
        "shared_read_blocks": top.get("Shared Read Blocks"),
        "nodes": nodes,
        "jit": plan.get("JIT"),
        "sql": statement,
        "plan": plan,
    }


def measure(engine: Engine, statements: Statements, page: Page, runs: int) -> dict[str, Any]:
    """Time PAGE RUNS times after the warm-ups, then explain the SQL it sends."""
    sessions = make_session_factory(engine, audit_key=Settings().audit_key)
    for _ in range(WARMUPS):
        server_time(sessions, statements, page)
    samples, waits = [], []
    for _ in range(runs):
        total, waited, _ = server_time(sessions, statements, page)
        samples.append(total * 1000)
        waits.append(waited * 1000)
    with statements.capture() as seen:
        _, _, result = server_time(sessions, statements, page)
    queue_sql, queue_params = seen[0]
    median = statistics.median(samples)
    return {
        "label": page.label,
        "viewer_role": page.viewer.role,
        "filters": {
            k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(page.filters).items()
        },
        "after": page.after,
        "runs": runs,
        "median_ms": round(median, 2),
        "p95_ms": round(percentile(samples, 0.95), 2),
        "min_ms": round(min(samples), 2),
        "max_ms": round(max(samples), 2),
        "sql_median_ms": round(statistics.median(waits), 2),
        "samples_ms": [round(s, 3) for s in samples],
        "items": len(result.items),
        "next_cursor": result.next_cursor,
        "target_met": median <= TARGET_MS,
        "queue_query": explain(engine, queue_sql, queue_params),
        "count_query": explain(engine, *seen[1]) if len(seen) > 1 else None,
    }


OPEN_QUEUE = (
    "merged_into_id IS NULL AND NOT training AND queue = 'triage' AND status IN "
    "('received', 'under_review', 'unverified', 'verified', 'response_dispatched')"
)
SETTINGS = (
    "server_version", "shared_buffers", "work_mem", "effective_cache_size", "jit", "random_page_cost",
    "max_parallel_workers_per_gather",
)  # fmt: skip


def database_facts(url: str) -> dict[str, Any]:
    """What was measured against: server settings, row counts and spreads, table and index sizes."""
    with psycopg.connect(common.libpq(url)) as conn:

        def one(query: str) -> Any:
            row = conn.execute(query).fetchone()
            return row[0] if row else None

        def pairs(query: str) -> dict[str, Any]:
            return {str(key): value for key, value in conn.execute(query).fetchall()}

        return {
            "settings": {name: one(f"SHOW {name}") for name in SETTINGS},
            "incidents": one("SELECT count(*) FROM incidents"),
            "reports": one("SELECT count(*) FROM reports"),
            "open_queue": one(f"SELECT count(*) FROM incidents WHERE {OPEN_QUEUE}"),
            "statuses": pairs("SELECT status, count(*) FROM incidents GROUP BY 1 ORDER BY 2 DESC"),
            "priorities": pairs("SELECT priority, count(*) FROM incidents GROUP BY 1 ORDER BY 1"),
            "open_priorities": pairs(
                f"SELECT priority, count(*) FROM incidents WHERE {OPEN_QUEUE} GROUP BY 1 ORDER BY 1"
            ),
            "countries": pairs("SELECT country, count(*) FROM incidents GROUP BY 1 ORDER BY 2 DESC"),
            "incidents_size": one("SELECT pg_size_pretty(pg_total_relation_size('incidents'))"),
            "reports_size": one("SELECT pg_size_pretty(pg_total_relation_size('reports'))"),
            "incident_indexes": pairs(
                "SELECT indexrelid::regclass::text, pg_size_pretty(pg_relation_size(indexrelid)) "
                "FROM pg_index WHERE indrelid = 'incidents'::regclass ORDER BY 1"
            ),
        }


def prepare(url: str, incidents: int, seed: int) -> tuple[datetime, dict[str, Any]]:
    """Reset, migrate and load the bench database; the load's end of time and its timings."""
    print(f"resetting and migrating {url}", file=sys.stderr)
    common.reset_database(url)
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    now = datetime.now(UTC)

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    with psycopg.connect(common.libpq(url), autocommit=True) as conn:
        loaded = load(conn, incidents, now=now, seed=seed, progress=progress)
        vacuum = vacuum_analyze(conn, progress)
    seconds = loaded.seconds | {"vacuum_analyze": vacuum}
    print(f"loaded {incidents:,} incidents in {loaded.seconds['total'] + vacuum:.0f} s", file=sys.stderr)
    return now, {"seconds": {k: round(v, 2) for k, v in seconds.items()}, "seed": seed}


def loaded_until(url: str) -> datetime:
    """For --reuse: the loaded data's "now", the newest first report (the load ends there)."""
    with psycopg.connect(common.libpq(url)) as conn:
        row = conn.execute("SELECT max(first_reported_at) FROM incidents").fetchone()
    if not row or row[0] is None:
        sys.exit(f"--reuse: no incidents in {url}; run without --reuse first")
    newest: datetime = row[0]
    return newest.astimezone(UTC)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30, help="timed runs per page, after 3 warm-ups")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--reuse", action="store_true", help="measure the loaded database as it is")
    args = parser.parse_args(argv)

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if args.reuse:
        now, loading = loaded_until(args.database_url), {"reused": True}
    else:
        now, loading = prepare(args.database_url, args.incidents, args.seed)

    engine = make_engine(args.database_url)
    statements = Statements(engine)
    with engine.connect() as conn:  # the pool's connection, plans warm, before the clock
        conn.execute(text("SELECT 1"))
    month = now - timedelta(days=30)
    pages = [
        Page("a", "first page", REVIEWER, QueueFilter()),
        Page("b", "country CD + category ATK", REVIEWER, QueueFilter(country="CD", category="ATK")),
        Page("c", f"area {AREA} + last 30 days", REVIEWER, QueueFilter(area=AREA, since=month)),
    ]
    results: dict[str, Any] = {}
    for page in pages:
        print(f"timing ({page.key}) {page.label}", file=sys.stderr, flush=True)
        results[page.key] = measure(engine, statements, page, args.runs)
    cursor = results["a"]["next_cursor"]
    for page in (
        Page("d", "second page (cursor of a)", REVIEWER, QueueFilter(), after=cursor),
        Page("e", "joc_officer first page", JOC, QueueFilter()),
        Page(
            "f",
            f"quiet area {QUIET_AREA} + last 30 days",
            REVIEWER,
            QueueFilter(area=QUIET_AREA, since=month),
        ),
    ):
        print(f"timing ({page.key}) {page.label}", file=sys.stderr, flush=True)
        results[page.key] = measure(engine, statements, page, args.runs)
    engine.dispose()

    facts = database_facts(args.database_url)
    version = facts["settings"]["server_version"].split()[0]
    print(
        f"\n{facts['incidents']:,} incidents ({facts['open_queue']:,} in the open triage queue), "
        f"{facts['reports']:,} reports; PostgreSQL {version}, {os.cpu_count()} CPUs"
    )
    print(
        f"\n{'page':<38} {'median ms':>9} {'p95 ms':>7} {'SQL ms':>7} {'items':>5}  page query plan (exec ms)"
    )
    for key, r in results.items():
        plan = r["queue_query"]
        print(
            f"({key}) {r['label']:<34} {r['median_ms']:>9.1f} {r['p95_ms']:>7.1f} {r['sql_median_ms']:>7.1f} "
            f"{r['items']:>5}  {plan['summary']} ({plan['execution_ms']:.1f})"
        )
    missed = [key for key, r in results.items() if not r["target_met"]]
    verdict = "met by every page" if not missed else f"NOT met by ({'), ('.join(missed)})"
    print(f"\ntarget: median <= {TARGET_MS:.0f} ms: {verdict}")

    common.RESULTS.mkdir(parents=True, exist_ok=True)
    result = {
        "benchmark": "dashboard",
        "timestamp": stamp,
        "config": {
            "incidents": args.incidents,
            "runs": args.runs,
            "warmups": WARMUPS,
            "page": PAGE,
            "database_url": args.database_url,
            "cpus": os.cpu_count(),
            "now": now.isoformat(),
        },
        "load": loading,
        "database": facts,
        "target_median_ms": TARGET_MS,
        "target_met": not missed,
        "pages": results,
    }
    common.write_results("dashboard", stamp, result)


if __name__ == "__main__":
    main()

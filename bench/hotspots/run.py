"""Hotspot products at scale: H3 aggregation + Gi*, a GeoPackage export and a PDF patrol map.

A million verified incidents spread like the real UCDP events of the Central African Republic
(``../shared/data/events/ucdp_ged_v23_1_caf.csv``: each incident is an event's place with a few
kilometres of jitter; without the file, around CAR's conflict areas) over two years, loaded with
COPY into a throwaway PostgreSQL database and migrated like production. Then, through the same
service the page, the CLI and the API call (``alerts.hotspots.products``), medians of ``--runs``:

(a) H3 resolution 6 aggregation in the database + Gi* with 999 permutations over all million, as a
    PARTNER product (cells only, no points) — target 10 s;
(b) a GeoPackage export (UN RESTRICTED: a 78-day window of ~107,000 incidents, ~98,000 of them as
    points — sexual violence is counted in cells only — under the 100,000-point cap) — target 5 s;
(c) the PDF patrol map of (a) — target 5 s.

``python -m bench.hotspots.run [--incidents N] [--runs R] [--reuse]``
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import h3
import psycopg

from alerts.hotspots.products import HotspotRequest, build_product, export_hotspots
from alerts.hotspots.rules import load_hotspot_rules
from alerts.messages import Viewer
from alerts.unit_of_work import UnitOfWork
from app import migrate
from app.infra.database import make_engine, make_session_factory
from bench import common
from config.settings import Settings
from geo.patrol_map import render_patrol_map
from geo.types import AreaAssignment

DEFAULT_URL = os.environ.get(
    "DALILI_BENCH_HOTSPOTS_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/dalili_bench_hotspots"
)
EVENTS = common.ROOT.parent / "shared" / "data" / "events" / "ucdp_ged_v23_1_caf.csv"
TARGETS = {"a": 10.0, "b": 5.0, "c": 5.0}
DAYS = 730
JITTER_DEGREES = 0.03
"""About 3 km: a report names the village, the event the nearest town."""
ANALYST = Viewer(1, "bench@example.org", "protection_analyst")
CATEGORIES = {"ATK": 25, "ARM": 20, "THR": 15, "LOT": 10, "DSP": 10, "SXV": 8, "ABD": 7, "MOV": 5}
PRIORITIES = {"P1": 10, "P2": 40, "P3": 40, "P4": 10}
STATUSES = {"verified": 50, "response_dispatched": 20, "closed": 30}
COLUMNS = (
    "id", "category", "restricted", "status", "priority", "credibility", "country", "lon", "lat",
    "precision", "areas", "h3_r5", "h3_r6", "h3_r7", "in_town", "queue", "escalation_level",
    "first_reported_at", "updated_at", "deadline_at", "training",
)  # fmt: skip


class NoLayers:
    """The bench measures the statistics and the writers, not boundary reading."""

    def admin_frame(self, level: int) -> gpd.GeoDataFrame | None:
        return None

    def sector_frame(self) -> gpd.GeoDataFrame | None:
        return None

    def site_frame(self) -> gpd.GeoDataFrame | None:
        return None

    def locate_many(self, lons: Sequence[float], lats: Sequence[float]) -> list[AreaAssignment]:
        return [AreaAssignment() for _ in lons]


def event_places() -> list[tuple[float, float]]:
    """Where the real events happened; a few conflict areas of CAR when the shared data is absent."""
    if EVENTS.exists():
        with EVENTS.open(encoding="utf-8") as handle:
            return [(float(row["longitude"]), float(row["latitude"])) for row in csv.DictReader(handle)]
    print(f"{EVENTS} not found: drawing around CAR's conflict areas instead", file=sys.stderr)
    return [(18.56, 4.36), (20.65, 5.76), (21.98, 6.54), (22.8, 6.3), (16.4, 7.0), (19.2, 7.9)]


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def load(url: str, count: int, seed: int, now: datetime) -> None:
    places = event_places()
    rng = random.Random(seed)
    started = time.perf_counter()
    copy = f"COPY incidents ({', '.join(COLUMNS)}) FROM STDIN"
    with psycopg.connect(common.libpq(url)) as conn, conn.cursor() as cursor, cursor.copy(copy) as stream:
        for id_ in range(1, count + 1):
            lon, lat = rng.choice(places)
            lon, lat = lon + rng.gauss(0, JITTER_DEGREES), lat + rng.gauss(0, JITTER_DEGREES)
            category = _pick(rng, CATEGORIES)
            first = now - timedelta(seconds=rng.uniform(0, DAYS * 86400))
            cells = [h3.latlng_to_cell(lat, lon, r) for r in (5, 6, 7)]
            stream.write_row(
                (
                    id_, category, category == "SXV", _pick(rng, STATUSES), _pick(rng, PRIORITIES),
                    rng.randint(1, 4), "CF", lon, lat, rng.choice((1, 2, 2)), "{}", *cells, False,
                    "triage", 0, first, first, first + timedelta(hours=4), False,
                )
            )  # fmt: skip
            if id_ % 100_000 == 0:
                print(
                    f"  {id_:,} incidents ({time.perf_counter() - started:.0f} s)",
                    file=sys.stderr,
                    flush=True,
                )
    with psycopg.connect(common.libpq(url), autocommit=True) as conn:
        conn.execute("SELECT setval('incidents_id_seq', %s)", (count,))
        conn.execute("VACUUM ANALYZE incidents")
    print(f"loaded {count:,} incidents in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _median_seconds(action: Callable[[], Any], runs: int) -> tuple[float, list[float], Any]:
    samples, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), samples, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--reuse", action="store_true", help="measure the loaded database as it is")
    args = parser.parse_args(argv)

    now = datetime.now(UTC).replace(microsecond=0)
    if not args.reuse:
        print(f"resetting and migrating {args.database_url}", file=sys.stderr)
        common.reset_database(args.database_url)
        engine = make_engine(args.database_url)
        migrate.upgrade(engine)
        engine.dispose()
        load(args.database_url, args.incidents, args.seed, now)
    engine = make_engine(args.database_url)
    factory = make_session_factory(engine, audit_key=Settings().audit_key)
    rules = load_hotspot_rules()
    layers = NoLayers()

    def uow() -> UnitOfWork:
        return UnitOfWork(factory)

    everything = HotspotRequest(
        since=now - timedelta(days=DAYS + 1), until=now + timedelta(days=1), sensitivity="PARTNER"
    )
    results: dict[str, Any] = {}
    print("(a) H3 r6 aggregation + Gi* (999 permutations)", file=sys.stderr, flush=True)
    build_product(ANALYST, everything, uow=uow(), rules=rules, layers=layers)  # warm-up: imports, plans
    median, samples, product = _median_seconds(
        lambda: build_product(ANALYST, everything, uow=uow(), rules=rules, layers=layers), args.runs
    )
    hot = product.cells["hotspot"].value_counts().to_dict()
    results["a"] = {
        "label": "H3 r6 aggregation + Gi* 999 permutations, 1M",
        "median_s": median,
        "samples_s": samples,
        "incidents": product.info.incidents,
        "cells": len(product.cells),
        "classes": hot,
    }
    window = HotspotRequest(
        since=now - timedelta(days=78), until=now + timedelta(days=1), sensitivity="UN RESTRICTED"
    )
    print("(b) GeoPackage export of ~100,000 incidents", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory() as folder:
        median_b, samples_b, record = _median_seconds(
            lambda: export_hotspots(
                ANALYST, window, "gpkg", Path(folder) / "bench.gpkg", uow=uow(), rules=rules, layers=layers
            ),
            args.runs,
        )
        results["b"] = {
            "label": "GeoPackage export (points + cells), service to file",
            "median_s": median_b,
            "samples_s": samples_b,
            "points": record.incidents,
            "cells": record.cells,
            "bytes": record.bytes,
        }
        print("(c) PDF patrol map of (a)", file=sys.stderr, flush=True)
        median_c, samples_c, _ = _median_seconds(
            lambda: render_patrol_map(product, Path(folder) / "bench.pdf", fmt="pdf"), args.runs
        )
        results["c"] = {
            "label": "PDF patrol map (A4) of (a)",
            "median_s": median_c,
            "samples_s": samples_c,
            "bytes": (Path(folder) / "bench.pdf").stat().st_size,
        }
    engine.dispose()

    out = io.StringIO()
    print(f"\n{args.incidents:,} verified incidents (CAR-like), {os.cpu_count()} CPUs", file=out)
    print(f"{'measure':<52} {'median s':>9} {'target s':>9} {'ratio':>6}", file=out)
    for key, r in results.items():
        r["target_s"], r["ratio_to_target"] = TARGETS[key], r["median_s"] / TARGETS[key]
        print(
            f"({key}) {r['label']:<48} {r['median_s']:>9.2f} {TARGETS[key]:>9.1f} "
            f"{r['ratio_to_target']:>6.2f}",
            file=out,
        )
    print(f"(a) {results['a']['cells']:,} cells: {results['a']['classes']}", file=out)
    print(
        f"(b) {results['b']['points']:,} points, {results['b']['cells']:,} cells, "
        f"{results['b']['bytes']:,} bytes",
        file=out,
    )
    print(out.getvalue())
    stamp, _ = common.results_path("hotspots")
    common.write_results(
        "hotspots", stamp, {"incidents": args.incidents, "runs": args.runs, "results": results}
    )


if __name__ == "__main__":
    main()

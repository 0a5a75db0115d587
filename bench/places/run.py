"""Place type-ahead benchmark: how long a reviewer waits for the options as she types a place (#16).

What is measured. ``geo.place_search.PlaceSearch`` over a full GeoNames country dump: Mali's
(``../shared/data/gazetteer/geonames_ML.txt``, 14,802 populated places with their alternate names)
on top of the embedded GeoNames towns of the default countries, and Mali's admin-1 and admin-2
boundaries when ``../shared/data/boundaries`` has them, as a deployment in Mali would load them. The
dump's format (tab-separated, no header) is no gazetteer CSV ``geo.gazetteer`` reads, so its
populated places are read here.

The queries are generated at run time from ``--places`` populated places drawn with a fixed seed: the
first 2, 3, 4 and 6 letters of the name, the whole name, and the name with two inner letters
swapped (from 5 letters: the fuzzy path), each asked in Mali (``country="ML"``) and in every country.
Each query is timed ``--runs`` times, one call each (``search`` with the default limit of 10, the
options and their areas included); reported per kind: the median, p99 and slowest call, and for whole
and misspelled names the share whose place is among the options. Target: median well under 10 ms.

    python -m bench.places.run [--places 1000] [--seed 20261207] [--runs 5]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from bench.geocode.run import swap_letters
from geo.gazetteer import MIN_ALTERNATE_NAME, Gazetteer, GazetteerEntry, embedded_gazetteer
from geo.geocoder import SAME_PLACE_KM, GazetteerGeocoder, distance_km
from geo.loading import load_layers
from geo.place_search import PlaceSearch
from geo.placenames import normalise_place

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
DATA = ROOT.parent / "shared" / "data"
DUMP = Path("gazetteer") / "geonames_ML.txt"
BOUNDARIES = ("mli_adm1_dissolved_from_adm2_pre2016.geojson", "mli_adm2_ocha_cod_ab_pre2016.geojson")
TARGET_MS = 10.0
QUERIES: dict[str, Callable[[str], str]] = {
    "2 letters": lambda name: name[:2],
    "3 letters": lambda name: name[:3],
    "4 letters": lambda name: name[:4],
    "6 letters": lambda name: name[:6],
    "whole name": lambda name: name,
    "misspelled": lambda name: swap_letters(name, random.Random(name)),
}
CHECKED = ("whole name", "misspelled")
"""Kinds whose place should be among the options."""


def read_geonames_dump(path: Path) -> list[GazetteerEntry]:
    """Populated places (feature class P) of a GeoNames country dump, with alternate names of 4+ letters."""
    csv.field_size_limit(sys.maxsize)  # some rows list hundreds of alternate names
    entries = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row[6] != "P":
                continue
            name, population = row[1], int(row[14] or 0)
            alternates = (a for a in row[3].split(",") if len(a) >= MIN_ALTERNATE_NAME and a != name)
            kind = "national capital" if row[7] == "PPLC" else "town" if population else "village"
            entries.append(
                GazetteerEntry(
                    name,
                    float(row[5]),
                    float(row[4]),
                    row[8],
                    kind,
                    tuple(dict.fromkeys(alternates)),
                    source=path.name,
                    population=population,
                )
            )
    return entries


def timed(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def among(options: list[Any], place: GazetteerEntry) -> bool:
    """Whether the place (or the same name within 2 km, as one place listed twice) is offered."""
    key = normalise_place(place.name)
    return any(
        normalise_place(o.name) == key and distance_km(o.lon, o.lat, place.lon, place.lat) <= SAME_PLACE_KM
        for o in options
    )


def measure(search: PlaceSearch, places: list[GazetteerEntry], runs: int) -> list[dict[str, Any]]:
    rows = []
    for kind, make in QUERIES.items():
        for country in ("ML", None):
            queries = [(make(p.name), p) for p in places]
            found = sum(among(search.search(q, country), p) for q, p in queries)
            times = sorted(timed(partial(search.search, q, country)) for _ in range(runs) for q, _ in queries)
            rows.append(
                {
                    "kind": kind,
                    "country": country,
                    "queries": len(queries),
                    "median_ms": round(statistics.median(times) * 1000, 3),
                    "p99_ms": round(times[int(0.99 * (len(times) - 1))] * 1000, 3),
                    "max_ms": round(times[-1] * 1000, 3),
                    "found": round(found / len(queries), 4) if kind in CHECKED else None,
                }
            )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--places", type=int, default=1000, help="populated places drawn (default 1000)")
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--runs", type=int, default=5, help="timed calls per query (default 5)")
    parser.add_argument("--data", type=Path, default=DATA, help="folder with gazetteer/ and boundaries/")
    args = parser.parse_args(argv)
    if not (args.data / DUMP).exists():
        print(f"places bench skipped: {args.data / DUMP} not found (../shared/data absent)")
        return

    start = time.perf_counter()
    dump = read_geonames_dump(args.data / DUMP)
    boundaries = [args.data / "boundaries" / name for name in BOUNDARIES]
    layers, areas = load_layers([p for p in boundaries if p.exists()], embedded=False)
    gazetteer = embedded_gazetteer() + Gazetteer(entries=tuple(dump)) + layers
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    geocoder = GazetteerGeocoder(gazetteer, locator=areas)
    search = PlaceSearch(geocoder.index, areas)
    build_s = time.perf_counter() - start
    # The first search of a country builds its names and the geocoder's fuzzy blocks: once per process.
    first_ml_s, first_all_s = (timed(partial(search.search, "Bamakko", c)) for c in ("ML", None))
    named = [p for p in dump if len(normalise_place(p.name).replace(" ", "")) >= 4]
    places = random.Random(args.seed).sample(named, min(args.places, len(named)))
    rows = measure(search, places, args.runs)

    print(
        f"{len(dump)} populated places read in {read_s:.1f} s; {len(geocoder.index.entries)} places and "
        f"{len(areas.admin_areas()) if areas else 0} admin areas indexed in {build_s:.1f} s "
        f"(first search in Mali {first_ml_s * 1000:.0f} ms, in every country {first_all_s * 1000:.0f} ms)"
    )
    print(f"{'query':<12}{'country':<9}{'median ms':>10}{'p99 ms':>9}{'max ms':>9}{'found':>8}")
    for row in rows:
        found = f"{row['found']:.1%}" if row["found"] is not None else ""
        print(
            f"{row['kind']:<12}{row['country'] or 'any':<9}{row['median_ms']:>10.2f}{row['p99_ms']:>9.2f}"
            f"{row['max_ms']:>9.2f}{found:>8}"
        )
    worst = max(row["median_ms"] for row in rows)
    verdict = "ok" if worst < TARGET_MS else "SLOW"
    print(f"target: median under {TARGET_MS:.0f} ms; worst median {worst:.2f} ms: {verdict}")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"places-{stamp}.json"
    summary = {
        "benchmark": "places",
        "when": stamp,
        "seed": args.seed,
        "places": len(places),
        "runs": args.runs,
        "populated_places_read": len(dump),
        "places_indexed": len(geocoder.index.entries),
        "admin_areas": len(areas.admin_areas()) if areas else 0,
        "build_s": round(build_s, 2),
        "first_search_ms": {"ML": round(first_ml_s * 1000, 1), "any": round(first_all_s * 1000, 1)},
        "target_median_ms": TARGET_MS,
        "queries": rows,
    }
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    print(f"results: {path.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()

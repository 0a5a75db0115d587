"""Geocode place strings from the command line: JSON lines in, JSON lines out.

    python -m geo.geocode --country SS [--layers PATH ...] < places.jsonl

Each input line is ``{"id", "text", "reporter_area"?, "network_area"?, "country"?}``; each output
line is ``{"id", "place", "lon", "lat", "pcodes", "names", "sector", "precision", "confidence",
"matched", "how", "country", "alternatives"}``, with ``place`` null when nothing was trusted enough
(the alternatives are then the candidates a reviewer sees). ``--layers`` takes a file or a folder:
CSV gazetteers (GeoNames-style, settlement lists, admin label points, P-code lists, aliases) go on
top of the embedded GeoNames towns; boundary files (GeoJSON, GeoPackage, Shapefile) become the
admin layers that give P-codes and sectors.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from geo.geocoder import Candidate, GazetteerGeocoder
from geo.loading import load_layers
from geo.placenames import load_place_words


def candidate_json(candidate: Candidate) -> dict[str, Any]:
    """A candidate as the JSON a reviewer's tool reads."""
    return {
        "place": candidate.name,
        "lon": round(candidate.lon, 6),
        "lat": round(candidate.lat, 6),
        "country": candidate.country,
        "kind": candidate.kind,
        "names": candidate.names,
        "score": candidate.score,
        "matched": candidate.matched,
        "how": candidate.how,
    }


def resolve_record(
    geocoder: GazetteerGeocoder, record: Mapping[str, Any], country: str | None
) -> dict[str, Any]:
    """Geocode one input record into one output record (the CLI's line format)."""
    text = str(record.get("text") or "")
    home, network = record.get("reporter_area"), record.get("network_area")
    resolution = geocoder.resolve(
        text,
        str(record.get("country") or country or "") or None,
        home_area=str(home) if home else None,
        network_area=str(network) if network else None,
    )
    found = resolution.result
    if found is None:
        return {
            "id": record.get("id"),
            "place": None,
            "lon": None,
            "lat": None,
            "pcodes": {},
            "names": {},
            "sector": None,
            "precision": None,
            "confidence": 0.0,
            "matched": None,
            "how": None,
            "country": None,
            "alternatives": [candidate_json(c) for c in resolution.candidates[:5]],
        }
    return {
        "id": record.get("id"),
        "place": found.name,
        "lon": round(found.lon, 6),
        "lat": round(found.lat, 6),
        "pcodes": found.pcodes,
        "names": found.names,
        "sector": found.sector,
        "precision": found.precision,
        "confidence": found.confidence,
        "matched": found.matched,
        "how": found.how,
        "country": found.country,
        "alternatives": [candidate_json(c) for c in found.alternatives],
    }


def run(geocoder: GazetteerGeocoder, country: str | None, lines: Iterable[str], out: TextIO) -> int:
    """Geocode JSON lines to ``out``; a line that is not a JSON object gets an error line. Returns errors."""
    errors = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
        except ValueError as error:
            errors += 1
            print(json.dumps({"id": None, "line": number, "error": str(error)}), file=out)
            continue
        print(json.dumps(resolve_record(geocoder, record, country), ensure_ascii=False), file=out)
    return errors


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m geo.geocode``."""
    parser = argparse.ArgumentParser(prog="python -m geo.geocode", description=__doc__.split("\n")[0])
    parser.add_argument("--country", help="ISO code of the deployment (SS, CF, CD, ML, SD, LB, …)")
    parser.add_argument(
        "--layers", action="append", type=Path, default=[], metavar="PATH",
        help="a gazetteer CSV or boundary file, or a folder of them (repeatable)",
    )  # fmt: skip
    parser.add_argument("--no-embedded", action="store_true", help="leave out the embedded GeoNames towns")
    parser.add_argument("--languages", help="place-word languages, comma-separated (default: all)")
    parser.add_argument(
        "--min-confidence", type=float, default=None, help="below it a place is left unresolved"
    )
    args = parser.parse_args(argv)
    gazetteer, locator = load_layers(
        args.layers,
        embedded=not args.no_embedded,
        report=lambda line: print(f"geocode: {line}", file=sys.stderr),
    )
    languages = tuple(args.languages.split(",")) if args.languages else None
    options: dict[str, Any] = {} if args.min_confidence is None else {"min_confidence": args.min_confidence}
    geocoder = GazetteerGeocoder(gazetteer, locator=locator, words=load_place_words(languages), **options)
    errors = run(geocoder, args.country, sys.stdin, sys.stdout)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

"""Geocoder benchmark: misspelled South Sudan place strings per second, and how many land within 5 km.

What is measured. The geocoder is built as ``python -m geo.geocode --country SS --layers …`` builds
it: the embedded GeoNames towns plus the MapAction South Sudan settlement list (10,959 places) and
the OCHA P-code list from ``../shared/data/gazetteer``. The held-out list is generated here, at run
time, from that same settlement list (never stored in the repository): ``--count`` settlements
drawn with a fixed seed, each name given typical SMS misspellings (a vowel dropped, two letters
swapped, a letter doubled, an accent lost or added, case changed) and put in a phrase such as
"near X", "route de X" or "X market"; the settlement's own lon/lat is the truth.

Each string goes through the CLI's own ``resolve_record`` in this one process. Two passes:
``context`` gives the reporter's home county as ``reporter_area`` (how reports arrive from a
registered monitor), ``no context`` gives the text alone. Reported per pass: strings/s (median of
``--runs`` timed runs after one warm-up), the share resolved within 5 km of the truth (targets:
2,000 strings/s and 90 %), and every string left unresolved.

    python -m bench.geocode.run [--count 2000] [--seed 20261127] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from geo.gazetteer import GazetteerEntry, read_gazetteer_csv
from geo.geocode import resolve_record
from geo.geocoder import GazetteerGeocoder, distance_km
from geo.loading import load_layers

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
DATA = ROOT.parent / "shared" / "data" / "gazetteer"
SETTLEMENTS = "ssd_settlements_csds_mapaction_2015.csv"
PCODES = "ocha_global_pcodes_adm1_adm2_targets.csv"
WITHIN_KM = 5.0
TARGET_RATE, TARGET_SHARE = 2000.0, 0.90
VOWELS = "aeiou"
ACCENTED = {"e": "é", "a": "à", "o": "ô", "i": "î", "u": "ù"}
PHRASES = (
    "{x}", "near {x}", "route de {x}", "{x} market", "close to {x}", "près de {x}", "{x} village",
    "armed men near {x}", "shooting in {x} since morning", "jamb {x}", "karibu na {x}", "à côté de {x}",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class HeldOut:
    id: int
    text: str
    truth: str
    county: str | None
    lon: float
    lat: float


def drop_vowel(word: str, rng: random.Random) -> str:
    """Drop one inner vowel, as hurried typing does."""
    spots = [i for i in range(1, len(word)) if word[i].lower() in VOWELS]
    if not spots or len(word) < 5:  # "Akok" → "Akk" is no longer a name anyone would read back
        return swap_letters(word, rng)
    i = rng.choice(spots)
    return word[:i] + word[i + 1 :]


def swap_letters(word: str, rng: random.Random) -> str:
    """Swap two neighbouring letters after the first."""
    spots = [
        i
        for i in range(1, len(word) - 1)
        if word[i].isalpha() and word[i + 1].isalpha() and word[i] != word[i + 1]
    ]
    if not spots:
        return word
    i = rng.choice(spots)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def double_letter(word: str, rng: random.Random) -> str:
    """Type one letter twice."""
    i = rng.randrange(len(word))
    return word[: i + 1] + word[i] + word[i + 1 :]


def change_accent(word: str, rng: random.Random) -> str:
    """Strip accents, or add one as a French keyboard would when there are none."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
    if plain != word:
        return plain
    spots = [i for i, c in enumerate(word) if c.lower() in ACCENTED]
    if not spots:
        return word
    i = rng.choice(spots)
    return word[:i] + ACCENTED[word[i].lower()] + word[i + 1 :]


def misspell(name: str, rng: random.Random) -> str:
    """One real edit (vowel dropped or letters swapped), and for longer names sometimes a second noise."""
    words = name.split()
    target = max(range(len(words)), key=lambda i: len(words[i]))
    word = rng.choice((drop_vowel, swap_letters))(words[target], rng)
    if len(word) >= 7 and rng.random() < 0.5:
        word = rng.choice((drop_vowel, swap_letters, double_letter, change_accent))(word, rng)
    elif len(word) >= 5 and rng.random() < 0.3:
        word = rng.choice((double_letter, change_accent))(word, rng)
    words[target] = word
    text = " ".join(words)
    return rng.choice((text.lower(), text, text.upper(), text.title()))


def held_out(entries: list[GazetteerEntry], count: int, seed: int) -> list[HeldOut]:
    """Noisy place strings for ``count`` settlements drawn with ``seed``, with their true positions."""
    rng = random.Random(seed)
    usable = [e for e in entries if len(re.split(r"[/,(&]", e.name)[0].strip()) >= 3]
    chosen = rng.sample(usable, min(count, len(usable)))
    items = []
    for n, entry in enumerate(chosen, start=1):
        name = re.split(r"[/,(&]", entry.name)[0].strip()
        text = rng.choice(PHRASES).format(x=misspell(name, rng))
        county = entry.admin_names.get("adm2") or entry.admin_names.get("adm1")
        items.append(HeldOut(n, text, entry.name, county, entry.lon, entry.lat))
    return items


def evaluate(geocoder: GazetteerGeocoder, items: list[HeldOut], context: bool, runs: int) -> dict[str, Any]:
    """Accuracy from one pass, speed as the median of ``runs`` timed passes."""
    records = [
        {"id": i.id, "text": i.text} | ({"reporter_area": i.county} if context and i.county else {})
        for i in items
    ]
    outputs = [resolve_record(geocoder, r, "SS") for r in records]  # also the warm-up
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        for record in records:
            resolve_record(geocoder, record, "SS")
        rates.append(len(records) / (time.perf_counter() - start))
    within, unresolved, misses = 0, [], []
    for item, out in zip(items, outputs, strict=True):
        if out["place"] is None:
            unresolved.append({"id": item.id, "text": item.text, "truth": item.truth, "county": item.county})
            continue
        km = distance_km(out["lon"], out["lat"], item.lon, item.lat)
        if km <= WITHIN_KM:
            within += 1
        else:
            misses.append(
                {
                    "id": item.id,
                    "text": item.text,
                    "truth": item.truth,
                    "got": out["place"],
                    "km": round(km, 1),
                }
            )
    return {
        "context": context,
        "strings": len(items),
        "strings_per_s": round(statistics.median(rates), 1),
        "rates": [round(r, 1) for r in rates],
        "within_5km": within,
        "share_within_5km": round(within / len(items), 4),
        "unresolved": unresolved,
        "misses": misses,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="held-out strings (default 2000)")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per pass (median reported)")
    parser.add_argument("--data", type=Path, default=DATA, help="folder with the gazetteer CSVs")
    args = parser.parse_args(argv)
    if not (args.data / SETTLEMENTS).exists():
        print(f"geocode bench skipped: {args.data / SETTLEMENTS} not found (../shared/data absent)")
        return

    start = time.perf_counter()
    gazetteer, locator = load_layers([args.data / SETTLEMENTS, args.data / PCODES])
    geocoder = GazetteerGeocoder(gazetteer, locator=locator)
    _ = geocoder.index
    build_s = time.perf_counter() - start
    entries = list(read_gazetteer_csv(args.data / SETTLEMENTS).entries)
    items = held_out(entries, args.count, args.seed)
    passes = [evaluate(geocoder, items, context, args.runs) for context in (True, False)]

    print(f"index built in {build_s:.1f} s over {len(geocoder.index.entries)} places; {len(items)} strings")
    print(f"{'pass':<12}{'strings/s':>12}{'within 5 km':>14}{'unresolved':>12}{'misses':>9}")
    for p in passes:
        name = "context" if p["context"] else "no context"
        rate_ok = "ok" if p["strings_per_s"] >= TARGET_RATE else "LOW"
        share_ok = "ok" if p["share_within_5km"] >= TARGET_SHARE else "LOW"
        print(
            f"{name:<12}{p['strings_per_s']:>9.0f} {rate_ok:<3}{p['share_within_5km']:>10.1%} {share_ok:<3}"
            f"{len(p['unresolved']):>10}{len(p['misses']):>9}"
        )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"geocode-{stamp}.json"
    summary = {
        "benchmark": "geocode",
        "when": stamp,
        "seed": args.seed,
        "count": len(items),
        "runs": args.runs,
        "index_build_s": round(build_s, 2),
        "places_indexed": len(geocoder.index.entries),
        "targets": {"strings_per_s": TARGET_RATE, "share_within_5km": TARGET_SHARE},
        "passes": passes,
    }
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    print("targets: 2,000 strings/s in one process; 90 % within 5 km (context pass)")
    for p in passes:
        label = "context" if p["context"] else "no context"
        print(f"unresolved ({label}): {len(p['unresolved'])}")
        for u in p["unresolved"]:
            print(f"  #{u['id']} {u['text']!r} (truth {u['truth']}, {u['county']})")

    print(f"results: {path.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Triage on real text nobody on the project wrote: UCDP GED v23.1 event headlines for the Central
African Republic (``../shared/data/events/ucdp_ged_v23_1_caf_text.csv``, issue #17).

Each non-empty ``source_headline`` is classified with the CF lexicons and compared with the
event's ``type_of_violence``: 1 (state-based) and 2 (non-state) are fighting (FIG), 3 (one-sided)
is violence against civilians (the ATK family: ATK, SXV, ABD, the taxonomy's "Violence against
civilians" categories). Reported:

* FIG-vs-ATK accuracy over all headlines (any other category, OTH included, counts as wrong) and
  over the headlines triaged into one of the two families (the split itself);
* SXV recall on headlines that mention rape or sexual violence (English or French), and the
  share that is SXV or carries ``flags.sexual_violence_cue``;
* the share of headlines flagged ``election_related``: these are conflict events, almost none of
  them electoral, so the share is close to the flag's false-positive rate (class 6 of #17).

Many headlines are report titles ("Liste des Incidents en RCA") that say nothing of the event:
the figures compare versions of the classifier, they are not its absolute quality. This set is
for development; never tune on ACLED, HarassMap or SafeCity data.

    python -m bench.triage.ucdp [--csv PATH]
"""

from __future__ import annotations

import argparse
import csv
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from alerts.triage.classify import build_classifier
from alerts.triage.taxonomy import load_taxonomy

UCDP_CSV = Path(__file__).resolve().parents[3] / "shared" / "data" / "events" / "ucdp_ged_v23_1_caf_text.csv"
FIGHTING = {"1", "2"}
CIVILIANS = {"3"}
ATK_FAMILY = frozenset({"ATK", "SXV", "ABD"})
SEXUAL = re.compile(r"\brap(?:e|es|ed|ing)\b|sexu|\bviol(?:s|e|ee|ees|es)?\b|\bviolée?s?\b", re.IGNORECASE)


def family(category: str) -> str | None:
    if category == "FIG":
        return "FIG"
    return "ATK" if category in ATK_FAMILY else None


def score(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Figures from rows of {type_of_violence, headline, category, cue, election_related} (module doc)."""
    total = right = decided = right_decided = 0
    sexual = sexual_sxv = sexual_flagged = election = 0
    confusions: Counter[tuple[str, str]] = Counter()
    for row in rows:
        expected = "FIG" if row["type_of_violence"] in FIGHTING else "ATK"
        got = family(row["category"])
        total += 1
        right += got == expected
        if got is not None:
            decided += 1
            right_decided += got == expected
        confusions[(expected, row["category"])] += 1
        election += bool(row["election_related"])
        if SEXUAL.search(row["headline"]):
            sexual += 1
            sexual_sxv += row["category"] == "SXV"
            sexual_flagged += row["category"] == "SXV" or bool(row["cue"])
    return {
        "headlines": total,
        "fig_atk_accuracy": right / total if total else 0.0,
        "decided": decided,
        "fig_atk_accuracy_decided": right_decided / decided if decided else 0.0,
        "sexual_headlines": sexual,
        "sxv_recall": sexual_sxv / sexual if sexual else 0.0,
        "sxv_or_cue_recall": sexual_flagged / sexual if sexual else 0.0,
        "election_related_share": election / total if total else 0.0,
        "top_confusions": confusions.most_common(8),
    }


def classified_rows(path: Path) -> list[dict[str, Any]]:
    classifier = build_classifier("CF", load_taxonomy())
    rows = []
    with path.open(encoding="utf-8", newline="") as f:
        for record in csv.DictReader(f):
            headline = (record.get("source_headline") or "").strip()
            kind = record.get("type_of_violence")
            if not headline or kind not in FIGHTING | CIVILIANS:
                continue
            result = classifier(headline, country="CF")
            rows.append(
                {
                    "type_of_violence": kind,
                    "headline": headline,
                    "category": result.category,
                    "cue": result.flags["sexual_violence_cue"],
                    "election_related": result.flags["election_related"],
                }
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=UCDP_CSV)
    args = parser.parse_args(argv)
    if not args.csv.exists():
        print(f"skipped: {args.csv} is absent")
        return 0
    figures = score(classified_rows(args.csv))
    for key, value in figures.items():
        print(f"{key:28} {value:.3f}" if isinstance(value, float) else f"{key:28} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

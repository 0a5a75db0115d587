"""Triage benchmark: how well and how fast ``alerts.triage.classify`` triages reports.

What is measured, on ``tests/data/triage_eval.jsonl`` (454 labelled reports, §2.3/§3.4/§4.1):

* quality: macro-F1 over the categories (every taxonomy code that occurs in the labels or the
  predictions, OTH included), recall of sexual violence (SXV), precision / recall / F1 of the VAWE
  flag (positive = ``possible`` or ``likely``), accuracy of the priority. Each report is classified
  with the lexicons of its own country, its ``category_hint`` and ``received_at``, and electoral
  calendars built from the polling dates the labelled set uses (``EVAL_POLLING``, the §3.4 defaults);
* throughput: classify + geocode (an app-free ``GazetteerGeocoder`` over the embedded towns of the six
  deployment countries) + flag / priority scoring of every report in one process, reports/s, median of
  ``--runs`` timed runs after one warm-up;
* robustness: the 5,200 crisis messages of ``../shared/data/text/disaster_response_messages_{test,
  validation}.csv`` (column ``message``) go through classify: crashes (must be 0) and the share that
  lands in OTH vs a category. Skipped with a note when the folder is absent.

Targets: macro-F1 >= 0.85, SXV recall >= 0.95, VAWE F1 >= 0.85, >= 1,000 reports/s.
Caveat: the lexicons were drafted while the labelled set was visible (single words and short
phrases, never its sentences), so these figures are optimistic for unseen text.

    python -m bench.triage.run [--runs 5]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from alerts.triage.classify import Classification, Lexicons, _received, classify, load_lexicons
from alerts.triage.elections import Election, parse_calendars
from alerts.triage.normalise import Abbreviations, load_abbreviations
from alerts.triage.taxonomy import Taxonomy, load_taxonomy
from geo.gazetteer import embedded_gazetteer
from geo.geocoder import GazetteerGeocoder

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
EVAL_SET = ROOT / "tests" / "data" / "triage_eval.jsonl"
CRISIS = ROOT.parent / "shared" / "data" / "text"
CRISIS_FILES = ("disaster_response_messages_test.csv", "disaster_response_messages_validation.csv")
COUNTRIES = ("SS", "CF", "CD", "ML", "SD", "LB")
EVAL_POLLING = {
    "CD": date(2023, 12, 20),
    "CF": date(2025, 12, 28),
    "SS": date(2026, 12, 22),
    "LB": date(2025, 5, 24),
    "ML": date(2023, 6, 18),
}
"""The polling dates of the labelled set (tests/unit/alerts/test_triage_eval_set.py); default windows."""
TARGETS = {"macro_f1": 0.85, "sxv_recall": 0.95, "vawe_f1": 0.85, "reports_per_s": 1000.0}


def eval_calendars() -> tuple[Election, ...]:
    """Electoral calendars matching the labelled set's ``calendar_window`` convention."""
    raw = {"elections": [{"id": f"eval-{c}", "country": c, "polling": d} for c, d in EVAL_POLLING.items()]}
    return parse_calendars(raw)


def load_eval(path: Path = EVAL_SET) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class Triage:
    """Everything classify needs, loaded once per process."""

    def __init__(self) -> None:
        self.taxonomy: Taxonomy = load_taxonomy()
        self.abbreviations: Abbreviations = load_abbreviations()
        self.calendars = eval_calendars()
        self._lexicons: dict[str | None, Lexicons] = {}

    def lexicons(self, country: str | None) -> Lexicons:
        if country not in self._lexicons:
            self._lexicons[country] = load_lexicons(
                country, taxonomy=self.taxonomy, abbreviations=self.abbreviations
            )
        return self._lexicons[country]

    def classify_entry(self, entry: dict[str, Any]) -> Classification:
        country = entry.get("country")
        return classify(
            entry["text"],
            lexicons=self.lexicons(country),
            taxonomy=self.taxonomy,
            abbreviations=self.abbreviations,
            category_hint=entry.get("category_hint"),
            channel=entry.get("channel"),
            received_at=_received(entry.get("received_at")),
            calendars=self.calendars,
            country=country,
        )


def f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    score = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, score


def quality(entries: Sequence[dict[str, Any]], results: Sequence[Classification]) -> dict[str, Any]:
    """Macro-F1, per-category F1, SXV recall, VAWE precision/recall/F1, priority accuracy."""
    gold = [e["expected"]["category"] for e in entries]
    pred = [r.category for r in results]
    per_category: dict[str, dict[str, float]] = {}
    for code in sorted(set(gold) | set(pred)):
        tp = sum(g == code and p == code for g, p in zip(gold, pred, strict=True))
        fp = sum(g != code and p == code for g, p in zip(gold, pred, strict=True))
        fn = sum(g == code and p != code for g, p in zip(gold, pred, strict=True))
        precision, recall, score = f1(tp, fp, fn)
        per_category[code] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(score, 4),
            "support": tp + fn,
        }
    macro = statistics.fmean(v["f1"] for v in per_category.values())
    vawe_gold = [e["expected"]["flags"]["vawe"] != "no" for e in entries]
    vawe_pred = [r.flags["vawe"] != "no" for r in results]
    pairs = list(zip(vawe_gold, vawe_pred, strict=True))
    vp, vr, vf = f1(
        sum(g and p for g, p in pairs), sum(p and not g for g, p in pairs), sum(g and not p for g, p in pairs)
    )
    vawe_exact = sum(
        e["expected"]["flags"]["vawe"] == r.flags["vawe"] for e, r in zip(entries, results, strict=True)
    )
    priority = sum(e["expected"]["priority"] == r.priority for e, r in zip(entries, results, strict=True))
    confusions = Counter((g, p) for g, p in zip(gold, pred, strict=True) if g != p)
    return {
        "macro_f1": round(macro, 4),
        "accuracy": round(sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold), 4),
        "sxv_recall": per_category.get("SXV", {}).get("recall", 0.0),
        "vawe_precision": round(vp, 4),
        "vawe_recall": round(vr, 4),
        "vawe_f1": round(vf, 4),
        "vawe_exact_value_accuracy": round(vawe_exact / len(entries), 4),
        "priority_accuracy": round(priority / len(entries), 4),
        "per_category": per_category,
        "confusions": [{"expected": g, "predicted": p, "count": n} for (g, p), n in confusions.most_common()],
    }


def throughput(triage: Triage, entries: Sequence[dict[str, Any]], runs: int) -> dict[str, Any]:
    """Reports/s for classify + geocode + flags/priority, median of ``runs`` after one warm-up."""
    geocoder = GazetteerGeocoder(embedded_gazetteer(COUNTRIES))

    def one_pass() -> float:
        start = time.perf_counter()
        for entry in entries:
            triage.classify_entry(entry)
            geocoder.geocode(entry["text"], entry.get("country"))
        return time.perf_counter() - start

    one_pass()  # warm-up: builds the town index and loads every country's lexicons
    times = [one_pass() for _ in range(runs)]
    classify_only = []
    for _ in range(runs):
        start = time.perf_counter()
        for entry in entries:
            triage.classify_entry(entry)
        classify_only.append(time.perf_counter() - start)
    return {
        "reports": len(entries),
        "runs": runs,
        "reports_per_s": round(len(entries) / statistics.median(times), 1),
        "classify_only_reports_per_s": round(len(entries) / statistics.median(classify_only), 1),
    }


def crisis_messages(triage: Triage, folder: Path = CRISIS) -> dict[str, Any] | None:
    """Crashes and OTH share over the crisis messages; None when the data folder is absent."""
    files = [folder / name for name in CRISIS_FILES]
    if not all(f.exists() for f in files):
        return None
    messages: list[str] = []
    for path in files:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            messages += [row.get("message") or "" for row in csv.DictReader(handle)]
    crashes: list[dict[str, str]] = []
    categories: Counter[str] = Counter()
    for text in messages:
        try:
            result = triage.classify_entry({"text": text, "country": None})
        except Exception as error:  # counting crashes is the point of this pass
            crashes.append({"text": text[:200], "error": repr(error)})
            continue
        categories[result.category] += 1
    classified = sum(categories.values())
    return {
        "messages": len(messages),
        "crashes": len(crashes),
        "crash_examples": crashes[:10],
        "oth_share": round(categories["OTH"] / classified, 4) if classified else 0.0,
        "category_share": round(1 - categories["OTH"] / classified, 4) if classified else 0.0,
        "categories": dict(categories.most_common()),
    }


def _mark(ok: bool) -> str:
    return "ok" if ok else "BELOW"


def table(q: dict[str, Any], speed: dict[str, Any], crisis: dict[str, Any] | None) -> Iterable[str]:
    yield f"{'metric':<34}{'value':>12}  {'target':>10}"
    rows = [
        ("macro-F1 (categories)", q["macro_f1"], TARGETS["macro_f1"]),
        ("SXV recall", q["sxv_recall"], TARGETS["sxv_recall"]),
        ("VAWE precision", q["vawe_precision"], None),
        ("VAWE recall", q["vawe_recall"], None),
        ("VAWE F1", q["vawe_f1"], TARGETS["vawe_f1"]),
        ("VAWE exact value (no/possible/likely)", q["vawe_exact_value_accuracy"], None),
        ("category accuracy", q["accuracy"], None),
        ("priority accuracy", q["priority_accuracy"], None),
    ]
    for name, value, target in rows:
        goal = f">= {target:.2f} {_mark(value >= target)}" if target is not None else ""
        yield f"{name:<34}{value:>12.3f}  {goal}"
    rate = speed["reports_per_s"]
    rate_ok = _mark(rate >= TARGETS["reports_per_s"])
    yield f"{'reports/s (classify+geocode)':<34}{rate:>12.0f}  >= 1000 {rate_ok}"
    yield f"{'reports/s (classify only)':<34}{speed['classify_only_reports_per_s']:>12.0f}"
    if crisis is None:
        yield "crisis messages: skipped (../shared/data/text absent)"
    else:
        yield f"{'crisis messages':<34}{crisis['messages']:>12}"
        yield f"{'  crashes':<34}{crisis['crashes']:>12}  == 0 {_mark(crisis['crashes'] == 0)}"
        yield f"{'  share in OTH':<34}{crisis['oth_share']:>12.3f}"
        yield f"{'  share in a category':<34}{crisis['category_share']:>12.3f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs (median reported)")
    args = parser.parse_args(argv)
    triage = Triage()
    entries = load_eval()
    results = [triage.classify_entry(e) for e in entries]
    q = quality(entries, results)
    speed = throughput(triage, entries, args.runs)
    crisis = crisis_messages(triage)
    for line in table(q, speed, crisis):
        print(line)
    print("top confusions (expected -> predicted):")
    for c in q["confusions"][:10]:
        print(f"  {c['expected']} -> {c['predicted']}: {c['count']}")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"triage-{stamp}.json"
    summary = {
        "benchmark": "triage",
        "when": stamp,
        "eval_set": str(EVAL_SET.relative_to(ROOT)),
        "targets": TARGETS,
        "quality": q,
        "throughput": speed,
        "crisis_messages": crisis,
    }
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    print(f"results: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

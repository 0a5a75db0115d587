"""Run every benchmark in turn and print its table (`make bench`)."""

from __future__ import annotations

from bench.intake import run as intake

BENCHMARKS = {"intake": intake.main}

for name, run in BENCHMARKS.items():
    print(f"== {name} ==", flush=True)
    run([])

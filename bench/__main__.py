"""Run every benchmark in turn and print its table (`make bench`)."""

from __future__ import annotations

from bench.intake import run as intake
from bench.ussd import run as ussd

BENCHMARKS = {"intake": intake.main, "ussd": ussd.main}

for name, run in BENCHMARKS.items():
    print(f"== {name} ==", flush=True)
    run([])

"""Run every benchmark in turn and print its table (`make bench`)."""

from __future__ import annotations

from bench.dashboard import run as dashboard
from bench.geocode import run as geocode
from bench.hotspots import run as hotspots
from bench.intake import run as intake
from bench.places import run as places
from bench.triage import pipeline as triage_pipeline
from bench.triage import run as triage
from bench.ussd import run as ussd

BENCHMARKS = {
    "intake": intake.main,
    "ussd": ussd.main,
    "geocode": geocode.main,
    "places": places.main,
    "triage": triage.main,
    "triage pipeline": triage_pipeline.main,
    "dashboard": dashboard.main,
    "hotspots": hotspots.main,
}

for name, run in BENCHMARKS.items():
    print(f"== {name} ==", flush=True)
    run([])

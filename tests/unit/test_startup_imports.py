"""A web process and the `dalili` command start without the libraries that only map exports or only the
tests need."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPOSITORY = Path(__file__).resolve().parents[2]
HEAVY = '{"matplotlib", "esda", "libpysal", "sklearn"}'

PROBE = f"""
import sys
from pathlib import Path

import geo.hotspots
from app import create_app
from tests.conftest import make_settings

create_app(make_settings(Path(sys.argv[1])))
loaded = {{m.split(".")[0] for m in sys.modules}}
print(" ".join(sorted(loaded & {HEAVY})))
"""

CLI_PROBE = f"""
import sys

import app.cli

loaded = {{m.split(".")[0] for m in sys.modules}}
print(" ".join(sorted(loaded & {HEAVY})))
"""


def _probe(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    # A fresh interpreter: this one has long imported whatever other tests needed.
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=REPOSITORY, env=env, capture_output=True, text=True
    )


def test_the_web_app_starts_without_matplotlib_or_the_reference_statistics(tmp_path: Path) -> None:
    probe = _probe(PROBE, str(tmp_path))
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == []


def test_the_dalili_command_loads_without_matplotlib_or_the_reference_statistics() -> None:
    """`dalili` (``app.cli:main``) registers every command group, the hotspot exports' among them."""
    probe = _probe(CLI_PROBE)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == []

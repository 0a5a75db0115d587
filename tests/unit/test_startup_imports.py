"""A web process starts without the libraries that only map exports or only the tests need."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPOSITORY = Path(__file__).resolve().parents[2]

PROBE = """
import sys
from pathlib import Path

import geo.hotspots
from app import create_app
from tests.conftest import make_settings

create_app(make_settings(Path(sys.argv[1])))
loaded = {m.split(".")[0] for m in sys.modules}
print(" ".join(sorted(loaded & {"matplotlib", "esda", "libpysal", "sklearn"})))
"""


def test_the_web_app_starts_without_matplotlib_or_the_reference_statistics(tmp_path: Path) -> None:
    # A fresh interpreter: this one has long imported whatever other tests needed.
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)], cwd=REPOSITORY, env=env, capture_output=True, text=True
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == []

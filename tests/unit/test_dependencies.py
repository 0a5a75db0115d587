"""What production imports is declared, and constraints.txt pins the same versions the requirements do."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPOSITORY = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "channels", "alerts", "geo", "config")


def pins(name: str) -> dict[str, str]:
    """Normalised distribution name -> version, from one requirements-style file."""
    found = {}
    for line in (REPOSITORY / name).read_text().splitlines():
        match = re.match(r"([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==(\S+)", line.strip())
        if match:
            found[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return found


def imported_modules() -> set[str]:
    names = set()
    for package in PACKAGES:
        for path in (REPOSITORY / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - set(PACKAGES) - {"__future__"}


def test_every_third_party_module_production_imports_is_a_runtime_requirement() -> None:
    declared = set(pins("requirements.txt"))
    distributions = packages_distributions()
    undeclared = {
        module
        for module in imported_modules()
        if not {re.sub(r"[-_.]+", "-", d).lower() for d in distributions.get(module, [])} & declared
    }
    assert undeclared == set()


def test_constraints_pin_the_requirements_versions() -> None:
    constraints = pins("constraints.txt")
    for name in ("requirements.txt", "requirements-dev.txt"):
        assert {d: v for d, v in pins(name).items() if constraints.get(d) != v} == {}

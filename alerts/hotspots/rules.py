"""The deployment's rules for hotspot products: disclosure per classification, weights, analysis defaults.

Read from ``alerts/data/hotspots.toml`` or the file named by ``DALILI_HOTSPOTS_FILE`` (R49).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alerts.errors import InvalidValue
from alerts.vocabulary import PRIORITIES, ROLES
from geo.products import SENSITIVITIES

DEFAULT_HOTSPOT_RULES = Path(__file__).parents[1] / "data" / "hotspots.toml"
CELL_KINDS = ("h3", "grid", "admin")


@dataclass(frozen=True, slots=True)
class Disclosure:
    """What a product of one classification may contain (R36–R38)."""

    k: int
    points: bool
    roles: frozenset[str]


@dataclass(frozen=True, slots=True)
class HotspotRules:
    sensitivities: Mapping[str, Disclosure]
    default_sensitivity: str
    weights: Mapping[str, float]
    cells: str = "h3"
    h3_resolution: int = 6
    grid_km: float = 5.0
    admin_level: int = 2
    permutations: int = 999
    seed: int = 12345
    max_precision: int = 2

    def disclosure(self, sensitivity: str, role: str) -> Disclosure:
        """The rules of a classification, if this role may export it."""
        level = self.sensitivities.get(sensitivity)
        if level is None:
            raise InvalidValue(f"sensitivity must be one of {', '.join(self.sensitivities)}")
        if role not in level.roles:
            raise InvalidValue(f"role {role} may not export {sensitivity} products")
        return level


def _table(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, Mapping):
        raise InvalidValue(f"[{key}] must be a table")
    return value


def parse_hotspot_rules(raw: Mapping[str, Any]) -> HotspotRules:
    levels: dict[str, Disclosure] = {}
    for name, level in _table(raw, "sensitivity").items():
        if name not in SENSITIVITIES:
            raise InvalidValue(f"unknown sensitivity {name!r}; markings are {', '.join(SENSITIVITIES)}")
        k, roles = level.get("k"), level.get("roles", [])
        if not isinstance(k, int) or k < 1:
            raise InvalidValue(f"sensitivity {name}: k must be a whole number of at least 1")
        if unknown := set(roles) - set(ROLES):
            raise InvalidValue(f"sensitivity {name}: unknown roles {sorted(unknown)}")
        levels[name] = Disclosure(k=k, points=bool(level.get("points", False)), roles=frozenset(roles))
    if not levels:
        raise InvalidValue("no [sensitivity.*] level is configured")
    default = str(raw.get("default_sensitivity", next(iter(levels))))
    if default not in levels:
        raise InvalidValue(f"default_sensitivity {default!r} is not configured")
    weights = {p: float(w) for p, w in _table(raw, "weights").items()}
    if set(weights) != set(PRIORITIES) or any(w < 0 for w in weights.values()):
        raise InvalidValue(f"[weights] needs a non-negative weight for each of {', '.join(PRIORITIES)}")
    analysis = dict(_table(raw, "analysis"))
    rules = HotspotRules(sensitivities=levels, default_sensitivity=default, weights=weights, **analysis)
    if rules.cells not in CELL_KINDS:
        raise InvalidValue(f"[analysis] cells must be one of {', '.join(CELL_KINDS)}")
    return rules


def load_hotspot_rules(path: Path = DEFAULT_HOTSPOT_RULES) -> HotspotRules:
    try:
        return parse_hotspot_rules(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError, TypeError) as error:
        raise InvalidValue(f"{path}: {error}") from error

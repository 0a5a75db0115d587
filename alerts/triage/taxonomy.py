"""The incident taxonomy, loaded from data (R1, R2, R49), and structured-code parsing (R6)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_TAXONOMY = Path(__file__).parents[1] / "data" / "taxonomy.toml"
NONE_EW_INDICATOR = "NONE_EW_INDICATOR"
FALLBACK = "OTH"


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    ussd: str
    priority: str
    acled: tuple[str, str] | str
    labels: dict[str, str]
    restricted: bool = False


@dataclass(frozen=True, slots=True)
class Taxonomy:
    categories: dict[str, Category]

    def __getitem__(self, code: str) -> Category:
        return self.categories[code]

    def by_ussd(self, position: str) -> Category | None:
        return next((c for c in self.categories.values() if c.ussd == position), None)


def load_taxonomy(path: Path = DEFAULT_TAXONOMY) -> Taxonomy:
    """Read a taxonomy file; fail loudly on a category without code, USSD position or priority."""
    with path.open("rb") as f:
        raw: dict[str, Any] = tomllib.load(f)["categories"]
    categories = {
        code: Category(
            code=code,
            ussd=str(entry["ussd"]),
            priority=entry["priority"],
            acled=entry["acled"] if isinstance(entry["acled"], str) else tuple(entry["acled"]),
            labels=dict(entry["label"]),
            restricted=bool(entry.get("restricted", False)),
        )
        for code, entry in raw.items()
    }
    if FALLBACK not in categories:
        raise ValueError(f"{path}: the taxonomy needs the fallback category {FALLBACK}")
    return Taxonomy(categories)


_LEADING_TOKEN = re.compile(r"^\s*([A-Za-z]{3}|\d(?:[.*]\d)?)(?=[\s,.;:!-]|$)[\s,.;:!-]*(.*)$", re.S)


def parse_structured(text: str, taxonomy: Taxonomy) -> tuple[Category, str] | None:
    """Read "<code or menu digit> <rest>" ("SXV Bambari", "2 Kaga Bandoro"); None for free text."""
    match = _LEADING_TOKEN.match(text)
    if not match:
        return None
    token, rest = match.groups()
    if token.isalpha():
        category = taxonomy.categories.get(token.upper())
    else:
        category = taxonomy.by_ussd(token.replace("*", "."))
    return (category, rest.strip()) if category else None

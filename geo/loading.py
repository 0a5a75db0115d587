"""Load a deployment's layers: gazetteer CSVs on top of the embedded towns, boundary files as areas.

A boundary file is an admin layer unless its name starts with ``sector_`` (mission sectors, areas of
responsibility) or ``special_`` (areas of no single country, such as Abyei; R40). Files named
``site_…`` are team sites for patrol maps (``geo.sites``), neither gazetteers nor boundaries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from geo.admin_areas import AdminAreas
from geo.gazetteer import (
    DEFAULT_COUNTRIES,
    Gazetteer,
    GazetteerFormatError,
    combine_gazetteers,
    embedded_gazetteer,
    read_gazetteer_csv,
)
from geo.layers import LayerError, LayerFrame, LayerKind, read_layer, read_pcode_table
from geo.sites import is_site_file

BOUNDARY_SUFFIXES = frozenset({".geojson", ".json", ".gpkg", ".shp", ".zip", ".fgb"})
GAZETTEER_SUFFIXES = frozenset({".csv"})
KIND_PREFIXES: dict[str, LayerKind] = {"sector_": "sector", "special_": "special"}


def layer_files(paths: Iterable[Path]) -> list[Path]:
    """Files named, and the layer files inside folders named, in a stable order; missing paths skipped."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            wanted = BOUNDARY_SUFFIXES | GAZETTEER_SUFFIXES
            files.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in wanted))
        elif path.exists():
            files.append(path)
    return files


def layer_kind(path: Path) -> LayerKind:
    return next((kind for prefix, kind in KIND_PREFIXES.items() if path.name.startswith(prefix)), "admin")


def load_layers(
    paths: Iterable[Path],
    *,
    countries: Iterable[str] = DEFAULT_COUNTRIES,
    embedded: bool = True,
    kind: LayerKind | None = None,
    report: Callable[[str], None] = lambda _: None,
) -> tuple[Gazetteer, AdminAreas | None]:
    """Read every layer; a bad file is reported and skipped, never fatal for the others.

    ``kind`` overrides the kind a boundary file's name implies (``sector_…``, ``special_…``).
    """
    gazetteers = [embedded_gazetteer(tuple(countries))] if embedded else []
    boundaries: list[Path] = []
    pcode_lists: list[Path] = []
    for path in layer_files(paths):
        if is_site_file(path):
            continue  # team sites are drawn on maps, not used to geocode (geo.sites)
        if path.suffix.lower() in BOUNDARY_SUFFIXES:
            boundaries.append(path)
            continue
        try:
            gazetteer = read_gazetteer_csv(path)
        except (GazetteerFormatError, OSError, UnicodeDecodeError) as error:
            report(f"{path} skipped: {error}")
            continue
        counts = (len(gazetteer.entries), len(gazetteer.aliases), len(gazetteer.areas))
        report(f"{path}: %d places, %d aliases, %d areas" % counts)
        if gazetteer.areas:
            pcode_lists.append(path)
        gazetteers.append(gazetteer)
    frames = _boundaries(boundaries, pcode_lists, kind, report)
    return combine_gazetteers(gazetteers), AdminAreas(frames) if frames else None


def _boundaries(
    files: list[Path], pcode_lists: list[Path], kind: LayerKind | None, report: Callable[[str], None]
) -> list[LayerFrame]:
    # geoBoundaries layers carry names, not P-codes: a P-code list among the layers fills them in.
    table = read_pcode_table(pcode_lists[0]) if pcode_lists else None
    frames = []
    for path in files:
        try:
            frame, found = read_layer(path, kind=kind or layer_kind(path), pcode_table=table)
        except (LayerError, OSError, ValueError, RuntimeError) as error:  # GDAL read errors are RuntimeErrors
            report(f"{path} skipped: {error}")
            continue
        report(f"{path}: {found.kind} level {found.level}: {found.areas} areas")
        for problem in found.problems:
            report(f"{path}:   {problem}")
        frames.append(frame)
    return frames

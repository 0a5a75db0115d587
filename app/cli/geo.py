"""`dalili geo …`: check, import and try the deployment's boundary layers and gazetteers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Literal

import click
from flask.cli import with_appcontext

from app import current_services
from geo.layers import LayerError, LayerKind
from geo.loading import KIND_PREFIXES, layer_files, load_layers
from geo.sites import SITE_PREFIX, read_sites


@click.group("geo")
def geo_group() -> None:
    """Boundary layers (P-codes, sectors, special areas) and gazetteers."""


KIND = click.option(
    "--kind",
    type=click.Choice(["admin", "sector", "special", "site"]),
    default="admin",
    show_default=True,
    help="sector: mission sectors / areas of responsibility; special: areas of no single country; "
    "site: team sites and bases (points) for patrol maps.",
)
LayerChoice = LayerKind | Literal["site"]


@geo_group.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@KIND
def geo_check(paths: tuple[Path, ...], kind: LayerChoice) -> None:
    """Read layers as the app would and report every problem, without installing anything."""
    problems = _report(paths, kind)
    if problems:
        raise click.ClickException(f"{problems} layer(s) could not be read")
    click.echo("all layers readable")


def _report(paths: tuple[Path, ...], kind: LayerChoice) -> int:
    if kind == "site":
        return _report_sites(paths)
    lines: list[str] = []

    def note(line: str) -> None:
        lines.append(line)
        click.echo(line)

    click.echo(f"reading {len(layer_files(paths))} layer file(s)…")
    load_layers(paths, embedded=False, kind=kind, report=note)
    return sum(" skipped: " in line for line in lines)


def _report_sites(paths: tuple[Path, ...]) -> int:
    problems = 0
    for path in layer_files(paths):
        try:
            click.echo(f"{path}: {len(read_sites(path))} team sites")
        except (LayerError, OSError, ValueError, RuntimeError) as error:
            click.echo(f"{path} skipped: {error}")
            problems += 1
    return problems


@geo_group.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@KIND
@with_appcontext
def geo_import(paths: tuple[Path, ...], kind: LayerChoice) -> None:
    """Check layers, then install them in the deployment's layers folder (first of DALILI_LAYERS)."""
    if _report(paths, kind):
        raise click.ClickException("nothing installed: fix or leave out the layers that could not be read")
    target = Path(current_services().settings.layers[0])
    target.mkdir(parents=True, exist_ok=True)
    prefix = SITE_PREFIX if kind == "site" else next((p for p, k in KIND_PREFIXES.items() if k == kind), "")
    for source in layer_files(paths):
        name = source.name if source.name.startswith(prefix) else prefix + source.name
        shutil.copy2(source, target / name)
        click.echo(f"installed {target / name}")
    click.echo("restart the workers to use them")


@geo_group.command("locate")
@click.argument("text")
@click.option("--country", help="ISO 3166 alpha-2 code of where the report comes from.")
@click.option("--home-area", help="The reporter's home area, to break ties.")
@with_appcontext
def geo_locate(text: str, country: str | None, home_area: str | None) -> None:
    """Geocode one text with the deployment's layers (what triage would do), as JSON."""
    place = current_services().geocoder.resolve(text, country, home_area=home_area).result
    if place is None:
        raise click.ClickException("no place found with enough confidence")
    fields = ("name", "country", "lon", "lat", "precision", "confidence", "pcodes", "names", "sector")
    click.echo(json.dumps({field: getattr(place, field) for field in fields}, ensure_ascii=False, indent=1))

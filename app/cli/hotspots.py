"""`dalili hotspots export`: the same hotspot products as the protection page, from a terminal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click
from flask.cli import with_appcontext

from alerts.accounts.users import viewer_by_email
from alerts.errors import AlertsError
from alerts.hotspots.products import EXPORT_FORMATS, HotspotRequest, default_period, export_hotspots
from alerts.hotspots.rules import CELL_KINDS
from alerts.models import utcnow
from app import current_services
from geo.patrol_map import LANGUAGES, PAPERS
from geo.products import SENSITIVITIES


@click.group("hotspots")
def hotspots_group() -> None:
    """Hotspot maps and exports of verified incidents for patrol planning."""


def _day(value: date | None, *, end: bool = False) -> datetime | None:
    if value is None:
        return None
    start = datetime(value.year, value.month, value.day, tzinfo=UTC)
    return start + timedelta(days=1) if end else start


@hotspots_group.command("export")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="File to write.")
@click.option(
    "--as", "email", required=True, help="The user exporting (her role and countries apply; audited)."
)
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day (default: 30 days ago).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day, included (default: today).")
@click.option("--category", "categories", multiple=True, help="Category code (repeat for several).")
@click.option("--priority", "priorities", multiple=True, help="P1…P4 (repeat for several).")
@click.option("--area", help="Only incidents in this P-code (any admin level).")
@click.option("--network", type=int, help="Only incidents reported by this network (id).")
@click.option("--cells", type=click.Choice(CELL_KINDS), help="Hexagons, metric grid or admin areas.")
@click.option("--resolution", type=int, help="H3 resolution (0–7).")
@click.option("--cell-km", type=float, help="Grid square side in km.")
@click.option("--admin-level", type=int, help="Admin level of --cells admin.")
@click.option("--sensitivity", type=click.Choice(SENSITIVITIES), help="Classification (sets k and points).")
@click.option(
    "--half-life", "half_life", type=float, help="Time decay: days after which a report counts half."
)
@click.option("--slice-days", type=int, help="Emerging hotspots: trend over slices of this many days.")
@click.option("--paper", type=click.Choice(PAPERS), default="A4", show_default=True)
@click.option(
    "--language", type=click.Choice(LANGUAGES), default="en", show_default=True, help="Of the PNG/PDF map."
)
@with_appcontext
def hotspots_export(
    fmt: str,
    out: Path,
    email: str,
    since: datetime | None,
    until: datetime | None,
    categories: tuple[str, ...],
    priorities: tuple[str, ...],
    area: str | None,
    network: int | None,
    cells: str | None,
    resolution: int | None,
    cell_km: float | None,
    admin_level: int | None,
    sensitivity: str | None,
    half_life: float | None,
    slice_days: int | None,
    paper: str,
    language: str,
) -> None:
    """Write a hotspot product: GeoJSON, KML, GeoPackage, zipped Shapefile, CSV+HXL, PNG or PDF."""
    services = current_services()
    default_since, default_until = default_period(utcnow().date())
    try:
        request = HotspotRequest(
            since=_day(since.date() if since else None) or default_since,
            until=_day(until.date() if until else None, end=True) or default_until,
            categories=tuple(c.upper() for c in categories),
            priorities=tuple(p.upper() for p in priorities),
            area=area,
            network_id=network,
            cells=cells,
            resolution=resolution,
            cell_km=cell_km,
            admin_level=admin_level,
            sensitivity=sensitivity,
            half_life_days=half_life,
            slice_days=slice_days,
        )
        viewer = viewer_by_email(email, uow=services.uow())
        click.echo(
            f"aggregating verified incidents {request.since:%Y-%m-%d} → {request.until:%Y-%m-%d} …", err=True
        )
        record = export_hotspots(
            viewer,
            request,
            fmt,
            out,
            uow=services.uow(),
            rules=services.hotspot_rules,
            layers=services.geocoder,
            paper=paper,
            language=language,
        )
    except AlertsError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"{record.path}: {record.format}, {record.sensitivity}, {record.cells} cells "
        f"({record.suppressed_cells} suppressed), {record.incidents} points, {record.bytes:,} bytes, "
        f"sha256 {record.sha256}"
    )
    if record.info.get("not_placed"):
        click.echo(f"note: {record.info['not_placed']} incident(s) had no usable location", err=True)

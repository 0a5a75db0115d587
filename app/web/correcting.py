"""What the incident page offers to correct (#16), and how its history tells a correction.

The forms are those of the fields she may correct (the incident's ``correctable``, decided by the
policy), filled with the incident's values. The places offered are those triage kept for an
unresolved report and, for a report she may read, the geocoder's readings of it again (a report
placed with doubt kept none), with the words that named a place, to propose as an alias.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.core import get_global
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from alerts.ports import Places
from alerts.triage.taxonomy import Taxonomy
from app.web.correction_forms import (
    FLAG_LABELS,
    LOCAL_MINUTE,
    CategoryForm,
    FlagsForm,
    OccurredForm,
    PlaceForm,
    PriorityForm,
    RestrictionForm,
    value_label,
)
from app.web.review_format import PRECISION_LABELS, utc_text
from app.web.review_format import describe as describe_event
from geo.geocoder import Candidate, GeocodeResult
from geo.placenames import normalise_place

ALTERNATIVES = 8
"""Most places offered to pick from."""
RESOLVED_REPORTS = 3
"""Reports read again for places: the first few say where it happened."""
AREA_LEVELS = ("adm2", "adm1")
"""The admin areas of the incident offered as "the area only", finest first."""

Label = Callable[[str], str]

CORRECTED = {
    "category": _l("Category corrected"),
    "flags": _l("Flags corrected"),
    "priority": _l("Priority corrected"),
    "occurred_at": _l("Time it happened corrected"),
    "place": _l("Place corrected"),
    "restriction": _l("Restriction corrected"),
}
PUT_BACK = {
    "category": _l("Category put back"),
    "flags": _l("Flags put back"),
    "priority": _l("Priority put back"),
    "occurred_at": _l("Time it happened put back"),
    "place": _l("Place put back"),
    "restriction": _l("Restriction put back"),
}
"""How the history names a correction, and an undo of one."""


def correction_forms(
    detail: dict[str, Any], *, taxonomy: Taxonomy, places: Places, countries: Iterable[str], label: Label
) -> dict[str, FlaskForm]:
    """The form of each field she may correct, keyed by field (none when she may correct nothing)."""
    fields = set(detail["correctable"])
    forms: dict[str, FlaskForm] = {}
    if "category" in fields:
        forms["category"] = CategoryForm(prefix="category", data={"category": detail["category"]})
        forms["category"].set_choices(
            sorted(((code, label(code)) for code in taxonomy.categories), key=lambda c: c[1])
        )
    if "flags" in fields:
        first = detail["reports"][0]["flags"] if detail["reports"] else {}
        forms["flags"] = FlagsForm.showing(first or {}, prefix="flags")
    if "priority" in fields:
        forms["priority"] = PriorityForm(prefix="priority", data={"priority": detail["priority"]})
    if "occurred_at" in fields:
        forms["occurred_at"] = _occurred_form(detail, countries)
    if "place" in fields:
        forms["place"] = _place_form(detail, places)
    if "restriction" in fields and (offered := restriction_offered(detail, taxonomy)):
        forms["restriction"] = RestrictionForm(prefix="restriction", data={"value": offered})
    return forms


def restriction_offered(detail: dict[str, Any], taxonomy: Taxonomy) -> str | None:
    """Which restriction to offer: to restrict an incident anyone may read, to clear one that a
    sexual-violence cue in its words restricted (not its category); none for sexual violence."""
    if not detail["restricted"]:
        return "restricted"
    return None if taxonomy[detail["category"]].restricted else "cleared"


# Time it happened --------------------------------------------------------------------------------


def time_zones(countries: Iterable[str]) -> list[str]:
    """The time zones of the deployment's countries, then UTC."""
    zones = get_global("territory_zones")
    found = [zone for country in countries for zone in zones.get(country.upper(), ())]
    return list(dict.fromkeys([*found, "UTC"]))


def _occurred_form(detail: dict[str, Any], countries: Iterable[str]) -> OccurredForm:
    zones = time_zones(countries)
    local = get_global("territory_zones").get((detail["country"] or "").upper(), ())
    zone = next((z for z in local if z in zones), "UTC")
    data: dict[str, Any] = {"zone": zone}
    if detail["occurred_at"]:
        data["when"] = datetime.fromisoformat(detail["occurred_at"]).astimezone(ZoneInfo(zone))
    form = OccurredForm(prefix="occurred_at", data=data)
    now = datetime.now(UTC)
    form.set_zones([(z, f"{z} (UTC{_offset(now, z)})") for z in zones])
    form.when.render_kw = form.when.render_kw | {"max": now.astimezone(ZoneInfo(zone)).strftime(LOCAL_MINUTE)}
    return form


def _offset(now: datetime, zone: str) -> str:
    offset = now.astimezone(ZoneInfo(zone)).strftime("%z")
    return f"{offset[:3]}:{offset[3:]}"


# Place -------------------------------------------------------------------------------------------


def _place_form(detail: dict[str, Any], places: Places) -> PlaceForm:
    options, words = place_alternatives(detail, places)
    form = PlaceForm(prefix="place", data={"words": words})
    areas = detail["areas"] or {}
    form.set_choices(
        [(json.dumps(option, sort_keys=True), _option_text(option)) for option in options],
        [
            (
                areas[f"{level}_pcode"],
                f"{areas.get(f'{level}_name') or ''} ({areas[f'{level}_pcode']})".strip(),
            )
            for level in AREA_LEVELS
            if areas.get(f"{level}_pcode")
        ],
    )
    return form


def _option_text(option: dict[str, Any]) -> str:
    return f"{option['name']} ({option['country']})" if option.get("country") else str(option["name"])


def place_alternatives(detail: dict[str, Any], places: Places) -> tuple[list[dict[str, Any]], str]:
    """The places its reports may mean, best first, except where it is now; and the words of a
    report that named a place (empty when none did, or she may not read the reports)."""
    options: list[dict[str, Any]] = []
    words = ""
    for report in detail["reports"]:
        for kept in (report.get("flags") or {}).get("place_candidates") or ():
            options.append(_option(kept.get("place"), kept.get("country"), kept.get("lon"), kept.get("lat")))
    for report in [r for r in detail["reports"] if r.get("text")][:RESOLVED_REPORTS]:
        resolution = places.resolve(report["text"], detail["country"])
        best = resolution.result
        readings: list[GeocodeResult | Candidate] = [
            *([best] if best else []),
            *(best.alternatives if best else ()),
            *resolution.candidates,
        ]
        for reading in readings:
            options.append(_option(reading.name, reading.country, reading.lon, reading.lat, reading.kind))
            words = words or _written(report["text"], reading.matched)
    here = (detail["lon"], detail["lat"])
    unique: dict[tuple[Any, Any], dict[str, Any]] = {}
    for option in options:
        placed = option["lon"] is not None and option["lat"] is not None
        if option["name"] and placed and (option["lon"], option["lat"]) != here:
            unique.setdefault((option["name"], option["country"]), option)
    return list(unique.values())[:ALTERNATIVES], words


def _option(name: Any, country: Any, lon: Any, lat: Any, kind: str = "") -> dict[str, Any]:
    return {"name": name, "country": country, "lon": lon, "lat": lat, "kind": kind}


def _written(text: str, matched: str) -> str:
    """The words of ``text`` the geocoder read as ``matched`` (its normalised key), as written."""
    words = text.split()
    size = len(matched.split())
    for length in range(max(size - 1, 1), size + 2):
        for start in range(len(words) - length + 1):
            written = " ".join(words[start : start + length]).strip(string.punctuation)
            if normalise_place(written) == matched:
                return written
    return ""


# History and messages ----------------------------------------------------------------------------


def history(events: list[dict[str, Any]], correctable: Iterable[str], label: Label) -> list[dict[str, Any]]:
    """The incident's history as its page lists it: corrections told here, other events by
    ``review_format.describe``; an undo offered for each correction she may make not undone yet."""
    undone = {(e["details"] or {}).get("undoes") for e in events if e["action"] == "incident.correct"}
    lines = []
    for event in events:
        line: dict[str, Any] = describe(event, correctable, label) or describe_event(event)
        if line.get("undo") in undone:
            line["undo"] = None
        lines.append(line)
    return lines


def describe(event: dict[str, Any], correctable: Iterable[str], label: Label) -> dict[str, Any] | None:
    """A correction of the incident as a line of its history (None for any other event), with the
    id of the correction she may undo. Values hidden from her role (restricted) are left out."""
    if event["action"] != "incident.correct":
        return None
    details = event.get("details") or {}
    field = str(details.get("field"))
    names = PUT_BACK if details.get("undoes") else CORRECTED
    what = str(names.get(field, field))
    if "before" in details and "after" in details:
        what = f"{what}: {change_text(field, details['before'], details['after'], label)}"
    extras = []
    if details.get("reason"):
        extras.append(_("reason: %(reason)s", reason=details["reason"]))
    if details.get("read_before"):
        extras.append(_("narrative read before by %(readers)s", readers=", ".join(details["read_before"])))
    if extras:
        what = f"{what} ({'; '.join(extras)})"
    return {
        "at": event["at"],
        "when": utc_text(event["at"]),
        "who": event["actor"],
        "what": what,
        "undo": details.get("correction") if field in correctable else None,
    }


def change_text(field: str, before: dict[str, Any], after: dict[str, Any], label: Label) -> str:
    """What a correction changed, "before → after", in the page language."""
    if field == "flags":
        order = list(FLAG_LABELS)  # as the form shows them (the database may keep keys in any order)
        return "; ".join(
            f"{FLAG_LABELS.get(flag, flag)} {value_label(before.get(flag))} → {value_label(after[flag])}"
            for flag in sorted(after, key=lambda f: order.index(f) if f in order else len(order))
        )
    return str(
        _(
            "%(before)s → %(after)s",
            before=_value_text(field, before, label),
            after=_value_text(field, after, label),
        )
    )


def _value_text(field: str, snapshot: dict[str, Any], label: Label) -> str:
    if field == "category":
        return label(str(snapshot.get("category")))
    if field == "priority":
        return str(snapshot.get("priority"))
    if field == "occurred_at":
        return utc_text(snapshot["occurred_at"]) if snapshot.get("occurred_at") else str(_("not known"))
    if field == "restriction":
        return str(_("restricted") if snapshot.get("restricted") else _("not restricted"))
    return place_text(snapshot)


def place_text(snapshot: dict[str, Any]) -> str:
    """A place as the history names it: its name or finest area, and how precise it is."""
    areas = snapshot.get("areas") or {}
    name = snapshot.get("place_name") or areas.get("adm2_name") or areas.get("adm1_name")
    if not name and snapshot.get("lon") is not None and snapshot.get("lat") is not None:
        name = f"{snapshot['lat']:.4f}, {snapshot['lon']:.4f}"
    if not name:
        return str(_("no place"))
    precision = PRECISION_LABELS.get(snapshot.get("precision") or 0)
    return f"{name} ({precision})" if precision else str(name)


def done_message(correction: dict[str, Any], label: Label) -> str:
    """The confirmation after a correction. Values stay out of it (a flashed message travels in
    the session cookie), except the new category and priority."""
    field, details = correction["field"], correction["details"]
    before, after = details["before"], details["after"]
    if correction["undoes"]:
        message = _("Correction undone.")
    elif field == "category":
        message = _("Category corrected: %(category)s.", category=label(after["category"]))
    elif field == "priority":
        message = _("Priority corrected: %(priority)s.", priority=after["priority"])
    elif field == "restriction" and after["restricted"]:
        message = _("Restricted to the CRSV focal point.")
    elif field == "restriction":
        message = _("Restriction cleared: reviewers may read the narrative again.")
    else:
        message = {
            "flags": _("Flags corrected."),
            "occurred_at": _("Time it happened corrected."),
            "place": _("Place corrected: its admin areas and map point follow."),
        }[field]
    if field == "category" and after.get("restricted") and not before.get("restricted"):
        message = f"{message} {_('The narrative is now restricted to the CRSV focal point.')}"
    return str(message)

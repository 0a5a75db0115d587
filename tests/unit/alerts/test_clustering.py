from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import combinations_with_replacement
from pathlib import Path
from typing import Any

import pytest
from pyproj import Geod

from alerts.errors import InvalidValue
from alerts.incidents.clustering import (
    DEFAULT_CLUSTER_RULES,
    ClusterRules,
    Sighting,
    default_cluster_rules,
    duplicate_candidates,
    load_cluster_rules,
    parse_cluster_rules,
)
from alerts.triage.taxonomy import load_taxonomy
from geo.crs import distance_km

pytestmark = pytest.mark.unit

BASE_LON, BASE_LAT = 30.25, 1.56  # near Bunia, Ituri
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
_GEOD = Geod(ellps="WGS84")


def point_at(km: float, azimuth: float = 45.0) -> tuple[float, float]:
    lon, lat, _ = _GEOD.fwd(BASE_LON, BASE_LAT, azimuth, km * 1000.0)
    return float(lon), float(lat)


def sighting(id: int = 0, category: str = "ATK", **changes: Any) -> Sighting:
    fields: dict[str, Any] = {
        "id": id,
        "category": category,
        "lon": BASE_LON,
        "lat": BASE_LAT,
        "precision": 1,
        "admin3_pcode": "CD5401001",
        "in_town": False,
        "at": T0,
    }
    return Sighting(**(fields | changes))


def away(km: float, id: int = 1, category: str = "ATK", **changes: Any) -> Sighting:
    lon, lat = point_at(km)
    return sighting(id, category, lon=lon, lat=lat, **changes)


def ids(new: Sighting, incidents: Iterable[Sighting], rules: ClusterRules | None = None) -> list[int]:
    return [m.incident_id for m in duplicate_candidates(new, incidents, rules)]


def test_the_synthetic_points_are_at_the_intended_geodesic_distance() -> None:
    for km in (1.99, 2.01, 4.99, 5.01):
        assert distance_km(BASE_LON, BASE_LAT, *point_at(km)) == pytest.approx(km, abs=1e-6)


# Distance (R25): D = 5 km, 2 km when either report is in a town; the bound is inclusive.


@pytest.mark.parametrize(
    ("km", "new_in_town", "old_in_town", "proposed"),
    [
        (4.99, False, False, True),
        (5.01, False, False, False),
        (1.99, True, False, True),
        (2.01, True, False, False),
        (1.99, False, True, True),
        (2.01, False, True, False),
        (1.99, True, True, True),
        (2.01, True, True, False),
        (2.01, False, False, True),
        (0.0, False, False, True),
    ],
)
def test_a_precise_report_is_proposed_only_within_the_distance_or_the_town_distance(
    km: float, new_in_town: bool, old_in_town: bool, proposed: bool
) -> None:
    matches = duplicate_candidates(
        sighting(in_town=new_in_town), [away(km, in_town=old_in_town)], ClusterRules()
    )
    assert bool(matches) is proposed
    if proposed:
        assert matches[0].distance_km == pytest.approx(km, abs=1e-6)


# Time (R25): the window of the new report's category, inclusive, in either direction.


@pytest.mark.parametrize(
    ("category", "apart", "proposed"),
    [
        ("ATK", timedelta(hours=23, minutes=59), True),
        ("ATK", timedelta(hours=24), True),
        ("ATK", timedelta(hours=24, minutes=1), False),
        ("ATK", -timedelta(hours=23, minutes=59), True),
        ("ATK", -timedelta(hours=24, minutes=1), False),
        ("FIG", timedelta(hours=24, minutes=1), False),
        ("ABD", timedelta(hours=24, minutes=1), False),
        ("SXV", timedelta(hours=23, minutes=59), True),
        ("SXV", timedelta(hours=24, minutes=1), False),
        ("ARM", timedelta(hours=71, minutes=59), True),
        ("ARM", timedelta(hours=72, minutes=1), False),
        ("ARM", -timedelta(hours=71, minutes=59), True),
        ("TEN", timedelta(hours=72, minutes=1), False),
        ("MOV", timedelta(hours=71, minutes=59), True),
        ("DSP", timedelta(hours=72, minutes=1), False),
        ("THR", timedelta(hours=47, minutes=59), True),
        ("THR", timedelta(hours=48, minutes=1), False),
        ("MOB", timedelta(hours=48, minutes=1), False),
    ],
)
def test_a_report_is_proposed_only_within_the_time_window_of_its_category(
    category: str, apart: timedelta, proposed: bool
) -> None:
    new = sighting(category=category, at=T0 + apart)
    old = away(1.0, category=category)
    assert bool(duplicate_candidates(new, [old], ClusterRules())) is proposed


@pytest.mark.parametrize(
    ("new_category", "old_category", "proposed"),
    [("ARM", "FIG", True), ("FIG", "ARM", False)],
)
def test_the_window_is_that_of_the_new_reports_category(
    new_category: str, old_category: str, proposed: bool
) -> None:
    new = sighting(category=new_category, at=T0 + timedelta(hours=48))
    old = away(1.0, category=old_category)
    assert bool(duplicate_candidates(new, [old], ClusterRules())) is proposed


# Categories: same or compatible (Proposal groups); symmetric, not transitive; THR alone.


@pytest.mark.parametrize(
    ("a", "b", "compatible"),
    [
        ("ATK", "ATK", True),
        ("ATK", "MOB", True),
        ("ATK", "FIG", True),
        ("MOB", "FIG", True),
        ("SXV", "ATK", True),
        ("SXV", "ABD", True),
        ("ATK", "ABD", True),
        ("ARM", "FIG", True),
        ("ARM", "TEN", True),
        ("FIG", "TEN", False),
        ("SXV", "FIG", False),
        ("SXV", "MOB", False),
        ("ARM", "ATK", False),
        ("THR", "THR", True),
        ("THR", "ATK", False),
        ("THR", "ARM", False),
        ("THR", "TEN", False),
        ("DSP", "FIG", False),
        ("MOV", "TEN", False),
        ("PCE", "PRO", False),
    ],
)
def test_category_compatibility_follows_the_table_in_both_directions(
    a: str, b: str, compatible: bool
) -> None:
    rules = ClusterRules()
    assert rules.compatible(a, b) is compatible
    assert rules.compatible(b, a) is compatible
    new = sighting(category=a, at=T0 + timedelta(hours=1))
    assert bool(duplicate_candidates(new, [away(1.0, category=b)], rules)) is compatible


def test_compatibility_is_symmetric_and_reflexive_for_every_taxonomy_category() -> None:
    rules = ClusterRules()
    for a, b in combinations_with_replacement(sorted(load_taxonomy().categories), 2):
        assert rules.compatible(a, b) == rules.compatible(b, a), (a, b)
        if a == b:
            assert rules.compatible(a, b), a


def test_every_category_in_the_data_file_is_in_the_taxonomy() -> None:
    rules = default_cluster_rules()
    known = set(load_taxonomy().categories)
    assert set(rules.window_hours) <= known
    assert set().union(*rules.compatible_groups) <= known


# Imprecise reports (geo_precision >= 2, unknown, or no point) match on the same admin-3 P-code.


@pytest.mark.parametrize(
    ("new_precision", "old_precision", "old_km", "old_pcode", "proposed"),
    [
        (2, 2, 30.0, "CD5401001", True),
        (2, 1, 30.0, "CD5401001", True),
        (1, 3, 30.0, "CD5401001", True),
        (None, 1, 30.0, "CD5401001", True),
        (2, 2, 1.0, "CD5401002", False),
        (3, 1, 0.0, "CD5401002", False),
        (2, 2, 1.0, None, False),
        (1, 1, 30.0, "CD5401001", False),  # both precise: the distance rule governs
    ],
)
def test_an_imprecise_report_is_proposed_only_in_the_same_admin3(
    new_precision: int | None, old_precision: int, old_km: float, old_pcode: str | None, proposed: bool
) -> None:
    new = sighting(precision=new_precision)
    old = away(old_km, precision=old_precision, admin3_pcode=old_pcode)
    matches = duplicate_candidates(new, [old], ClusterRules())
    assert bool(matches) is proposed
    if proposed:
        assert matches[0].distance_km is None
        assert "admin-3 CD5401001" in matches[0].reason


def test_a_precise_report_without_a_point_falls_back_to_the_admin3() -> None:
    new = sighting(lon=None, lat=None, precision=1)
    assert ids(new, [away(30.0)], ClusterRules()) == [1]
    assert ids(new, [away(1.0, admin3_pcode="CD5401002")], ClusterRules()) == []


def test_a_new_report_without_admin3_or_precise_point_is_never_proposed() -> None:
    new = sighting(precision=3, admin3_pcode=None)
    assert ids(new, [away(0.0, admin3_pcode=None), away(0.0, id=2)], ClusterRules()) == []


# Validation.


@pytest.mark.parametrize(
    "changes",
    [
        {"at": datetime(2025, 3, 1, 12, 0)},  # noqa: DTZ001 - the naive datetime under test
        {"lat": None},
        {"lon": None},
        {"precision": 0},
        {"precision": 4},
        {"lon": 181.0},
        {"lat": -90.5},
        {"lat": float("nan")},
    ],
)
def test_an_invalid_sighting_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue):
        sighting(**changes)


# Ordering: by distance (admin-3 matches after measured ones), then hours apart, then id.


def test_matches_are_ordered_by_distance_then_time_then_id() -> None:
    new = sighting(at=T0 + timedelta(hours=10))
    incidents = [
        away(0.5, id=10, at=T0),  # 0.5 km, 10 h
        away(3.0, id=11, at=T0 + timedelta(hours=9)),  # 3 km, 1 h
        away(0.5, id=12, at=T0 + timedelta(hours=8)),  # 0.5 km, 2 h
        away(20.0, id=13, precision=2, at=T0 + timedelta(hours=10)),  # admin-3, 0 h
        away(0.5, id=9, at=T0 + timedelta(hours=8)),  # ties with 12: lower id first
        away(6.0, id=14, at=T0 + timedelta(hours=10)),  # too far: not proposed
        away(0.1, id=15, category="THR", at=T0 + timedelta(hours=10)),  # incompatible
    ]
    matches = duplicate_candidates(new, incidents, ClusterRules())
    assert [m.incident_id for m in matches] == [9, 12, 10, 11, 13]
    assert [m.hours_apart for m in matches] == pytest.approx([2.0, 2.0, 10.0, 1.0, 0.0])
    assert matches[-1].distance_km is None


def test_matching_only_proposes_and_leaves_its_inputs_unchanged() -> None:
    new = sighting()
    incidents = (away(1.0, id=1), away(1.0, id=2, category="FIG"))
    before = [dataclasses.asdict(s) for s in (new, *incidents)]
    matches = duplicate_candidates(new, iter(incidents), ClusterRules())
    assert [m.incident_id for m in matches] == [1, 2]
    assert all(m.reason for m in matches)
    assert [dataclasses.asdict(s) for s in (new, *incidents)] == before
    assert duplicate_candidates(new, [], ClusterRules()) == []


# Rules are data (R49).


def test_the_shipped_data_file_holds_the_documented_defaults() -> None:
    assert load_cluster_rules() == ClusterRules()
    assert default_cluster_rules() == ClusterRules()
    rules = ClusterRules()
    assert (rules.distance_km, rules.town_distance_km, rules.default_window_hours) == (5.0, 2.0, 48.0)
    assert {c: rules.window_for(c) for c in ("ATK", "FIG", "ABD", "SXV", "ARM", "TEN", "MOV", "DSP")} == {
        **dict.fromkeys(("ATK", "FIG", "ABD", "SXV"), 24.0),
        **dict.fromkeys(("ARM", "TEN", "MOV", "DSP"), 72.0),
    }
    assert rules.window_for("THR") == 48.0


def test_a_deployment_data_file_changes_what_is_proposed(tmp_path: Path) -> None:
    text = DEFAULT_CLUSTER_RULES.read_text(encoding="utf-8")
    text = text.replace("distance_km = 5.0", "distance_km = 10.0").replace("ATK = 24.0", "ATK = 6.0")
    text = text.replace('["ARM", "TEN"],', '["ARM", "TEN"],\n    ["THR", "TEN"],')
    path = tmp_path / "clustering.toml"
    path.write_text(text, encoding="utf-8")
    loaded = load_cluster_rules(path)

    seven_km = sighting(), [away(7.0)]
    seven_hours = sighting(at=T0 + timedelta(hours=7)), [away(1.0)]
    threat_and_tension = sighting(category="THR"), [away(1.0, category="TEN")]
    for new, incidents in (seven_km, threat_and_tension):
        assert ids(new, incidents, ClusterRules()) == []
        assert ids(new, incidents, loaded) == [1]
    assert ids(*seven_hours, ClusterRules()) == [1]
    assert ids(*seven_hours, loaded) == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("distance_km", -1.0),
        ("town_distance_km", 0),
        ("default_window_hours", "48"),
        ("distance_km", True),
        ("window_hours", {"atk": 24.0}),
        ("window_hours", {"ATK": float("inf")}),
        ("compatible", {"groups": [["ATK"]]}),
        ("compatible", {"groups": [["ATK", "Fighting"]]}),
    ],
)
def test_a_bad_rules_file_fails_loudly(key: str, value: Any) -> None:
    with DEFAULT_CLUSTER_RULES.open("rb") as f:
        raw = tomllib.load(f)
    raw[key] = value
    with pytest.raises(ValueError, match="cluster rules"):
        parse_cluster_rules(raw)


def test_a_rules_file_missing_a_key_fails_loudly() -> None:
    with DEFAULT_CLUSTER_RULES.open("rb") as f:
        raw = tomllib.load(f)
    del raw["window_hours"]
    with pytest.raises(KeyError):
        parse_cluster_rules(raw)


def test_the_categories_compatible_with_one_include_itself_and_its_groups() -> None:
    rules = ClusterRules()
    assert rules.compatible_with("ATK") == {"ATK", "MOB", "FIG", "ABD", "SXV"}
    assert rules.compatible_with("THR") == {"THR"}

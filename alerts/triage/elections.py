"""Electoral calendars and the electoral phase of a report (DOMAIN.md §3.3, §3.4 E1; R16, R49).

Calendars are data (``data/elections.toml``): per country and, for local elections and
by-elections, per admin area given as a P-code prefix. Windows are whole days, **both ends
inclusive**; the day after a window's last day is outside it.

Precedence, when several windows contain the date:

* within one election, the more acute phase wins, in the order of ``PHASE_PRECEDENCE``
  (the polling day is ``silence_and_polling`` although ``counting_results`` starts that day);
* across elections, a local election whose area matches the report wins over a national one,
  the longest (most specific) P-code prefix first, then phase precedence, then the nearest
  polling day. The other elections in a window are listed in ``PhaseMatch.also``, so a reviewer
  sees a national campaign that runs under a local by-election.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

DEFAULT_CALENDARS = Path(__file__).parents[1] / "data" / "elections.toml"

PHASE_PRECEDENCE = (
    "silence_and_polling",
    "counting_results",
    "campaign",
    "nomination",
    "registration",
    "post_results",
)
"""Every phase of §3.3 except ``none``, most acute first."""

DEFAULT_OFFSETS = {
    "campaign_days_before": 60,
    "silence_days_before": 1,
    "counting_days_after": 14,
    "post_results_days_after": 90,
}
"""The proposal defaults of §3.4, used when a calendar file has no [defaults] table."""


@dataclass(frozen=True, slots=True)
class Election:
    id: str
    country: str
    polling: date
    polling_end: date
    windows: Mapping[str, tuple[date, date]]
    """Resolved windows (explicit or default), phase -> (first day, last day), inclusive."""
    area: str | None = None
    name: str = ""
    example: bool = False

    def phase_on(self, day: date) -> str | None:
        """The most acute phase whose window contains ``day``, or None."""
        return next(
            (p for p in PHASE_PRECEDENCE if p in self.windows and _inside(day, self.windows[p])), None
        )

    def covers(self, country: str, area_pcodes: Iterable[str]) -> bool:
        if country.upper() != self.country:
            return False
        return self.area is None or any(code.upper().startswith(self.area) for code in area_pcodes)


@dataclass(frozen=True, slots=True)
class PhaseMatch:
    phase: str
    election: Election
    also: tuple[str, ...] = ()
    """Ids of other elections whose windows also contain the date (overlaps)."""


def _inside(day: date, window: tuple[date, date]) -> bool:
    return window[0] <= day <= window[1]


def _day(value: Any, where: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError(f"{where}: expected a TOML date (YYYY-MM-DD), got {value!r}")
    return value


def _window(value: Any, where: str) -> tuple[date, date]:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"{where}: a window is [first_day, last_day]")
    first, last = _day(value[0], where), _day(value[1], where)
    if first > last:
        raise ValueError(f"{where}: window starts after it ends")
    return first, last


def _country(value: Any, eid: str) -> str:
    """An ISO 3166 alpha-2 code, the one code system of networks, routing and reports: a calendar
    under "SSD" would never match a report from South Sudan ("SS"), so E1 would never fire."""
    code = str(value).upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise ValueError(f'election {eid}: country {value!r} is not an ISO 3166 alpha-2 code such as "SS"')
    return code


def _election(entry: Mapping[str, Any], offsets: Mapping[str, int]) -> Election:
    eid = str(entry.get("id") or "")
    if not eid or not entry.get("country") or "polling" not in entry:
        raise ValueError(f"election {eid or entry!r}: id, country and polling are required")
    country = _country(entry["country"], eid)
    unknown = set(entry) - {"id", "country", "area", "name", "example", "polling", "polling_end"}
    unknown -= set(PHASE_PRECEDENCE)
    if unknown:
        raise ValueError(f"election {eid}: unknown keys {sorted(unknown)}")
    polling = _day(entry["polling"], eid)
    polling_end = _day(entry.get("polling_end", polling), eid)
    if polling_end < polling:
        raise ValueError(f"election {eid}: polling_end is before polling")
    day = timedelta(days=1)
    silence = offsets["silence_days_before"] * day
    counted = polling_end + offsets["counting_days_after"] * day
    windows = {
        "campaign": (polling - offsets["campaign_days_before"] * day, polling - silence - day),
        "silence_and_polling": (polling - silence, polling_end),
        "counting_results": (polling, counted),
        "post_results": (counted + day, polling_end + offsets["post_results_days_after"] * day),
    }
    for phase in PHASE_PRECEDENCE:
        if phase in entry:
            windows[phase] = _window(entry[phase], f"election {eid} {phase}")
    area = entry.get("area")
    return Election(
        id=eid,
        country=country,
        polling=polling,
        polling_end=polling_end,
        windows=windows,
        area=str(area).upper() if area else None,
        name=str(entry.get("name", "")),
        example=bool(entry.get("example", False)),
    )


def parse_calendars(raw: Mapping[str, Any], *, include_examples: bool = False) -> tuple[Election, ...]:
    """Elections from a parsed calendar document; examples are left out unless asked for."""
    offsets = DEFAULT_OFFSETS | dict(raw.get("defaults", {}))
    if set(offsets) != set(DEFAULT_OFFSETS) or not all(
        isinstance(v, int) and v >= 0 for v in offsets.values()
    ):
        raise ValueError(f"calendar defaults must be the non-negative day counts {sorted(DEFAULT_OFFSETS)}")
    elections = tuple(_election(entry, offsets) for entry in raw.get("elections", []))
    ids = [e.id for e in elections]
    if len(set(ids)) != len(ids):
        raise ValueError("election ids must be unique")
    return tuple(e for e in elections if include_examples or not e.example)


def load_calendars(path: Path = DEFAULT_CALENDARS, *, include_examples: bool = False) -> tuple[Election, ...]:
    """Read a calendar file; fail loudly, naming the file, on a malformed election or window."""
    with path.open("rb") as f:
        raw = tomllib.load(f)
    try:
        return parse_calendars(raw, include_examples=include_examples)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc


def electoral_phase(
    calendars: Iterable[Election], country: str, area_pcodes: Sequence[str], when: date | datetime
) -> PhaseMatch | None:
    """The electoral phase on ``when`` for a place, and which election; None outside every window.

    ``area_pcodes`` are the report's P-codes at any admin level. A datetime is read by its own
    calendar day: pass it in the deployment's local time.
    """
    day = when.date() if isinstance(when, datetime) else when
    found = [
        (election, phase)
        for election in calendars
        if election.covers(country, area_pcodes) and (phase := election.phase_on(day)) is not None
    ]
    if not found:
        return None
    found.sort(
        key=lambda m: (
            -len(m[0].area or ""),
            PHASE_PRECEDENCE.index(m[1]),
            abs((m[0].polling - day).days),
        )
    )
    (election, phase), others = found[0], found[1:]
    return PhaseMatch(phase, election, tuple(e.id for e, _ in others))

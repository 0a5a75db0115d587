"""A deployment's worth of synthetic incidents, loaded with COPY the way pg_restore would.

Incidents are drawn in Python (seeded, so every run loads the same rows) and streamed with
``COPY incidents FROM STDIN``; each gets the one report triage would have made for it, built in
the database by ``INSERT … SELECT`` from its incident (same category, priority, place, time). While
they load, the two tables' secondary indexes, unique and foreign-key constraints are dropped; they
are recreated afterwards from the definitions the migrations made (``pg_get_indexdef``,
``pg_get_constraintdef``), so the schema ends exactly as migrated, all in one transaction. Primary
keys and CHECK constraints stay on and check every row.

What the rows look like (a mission's two years, ``now`` at the end):

- arrivals a Poisson process over ``YEARS`` so ids grow with time, as they do in production;
- countries by the weight of real deployments (South Sudan, DR Congo, CAR, Sudan, Mali, Lebanon),
  and within each its OCHA admin-1 areas (real P-codes and names, conflict areas weighted up)
  and an admin-2 area below (``SS06`` / ``SS0607``); 15 % not geocoded (no place, no areas);
- categories from ``alerts/data/taxonomy.toml`` with field-like weights, the priority drawn
  around the category's default (about one in ten is P1), ``deadline_at`` = first report +
  ``REVIEW_DEADLINES``; SXV restricted; some ELE in the election-process queue;
- statuses by age: most of the last two days still ``received``, the last two months half
  reviewed, older ones mostly closed or rejected with a backlog of unverified and a few never
  reviewed; about 12 % awaiting review or unverified, about 18 % in the open queue;
- 1 % merged into an earlier incident (their report moved to it), 0.3 % training.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from alerts.triage.taxonomy import load_taxonomy
from alerts.vocabulary import PRIORITIES, REVIEW_DEADLINES

YEARS = 2
CHUNK = 20_000
TABLES = ("incidents", "reports")
NETWORKS_PER_COUNTRY = 4

COUNTRY_WEIGHTS = {"SS": 34, "CD": 26, "CF": 16, "SD": 12, "ML": 7, "LB": 5}
CENTRES = {
    "SS": (30.0, 7.5, 3.0),
    "CD": (27.0, -1.5, 4.0),
    "CF": (20.5, 6.5, 3.0),
    "SD": (27.0, 13.0, 4.0),
    "ML": (-1.5, 16.0, 3.0),
    "LB": (35.5, 33.4, 0.3),
}
"""Longitude, latitude and spread (degrees) of the incidents of each country."""

ADMIN1: dict[str, tuple[tuple[str, str, int, float], ...]] = {
    # (adm1 P-code, name, admin-2 areas under it, weight): OCHA global P-codes.
    "SS": (
        ("SS00", "Abyei Region", 1, 3), ("SS01", "Central Equatoria", 6, 6),
        ("SS02", "Eastern Equatoria", 8, 3), ("SS03", "Jonglei", 11, 8), ("SS04", "Lakes", 8, 4),
        ("SS05", "Northern Bahr el Ghazal", 5, 1), ("SS06", "Unity", 9, 8), ("SS07", "Upper Nile", 12, 7),
        ("SS08", "Warrap", 6, 4), ("SS09", "Western Bahr el Ghazal", 3, 2),
        ("SS10", "Western Equatoria", 10, 3),
    ),
    "CD": (
        ("CD10", "Kinshasa", 1, 1), ("CD20", "Kongo-Central", 14, 0.3), ("CD33", "Mai-Ndombe", 9, 1),
        ("CD51", "Tshopo", 9, 1), ("CD52", "Bas-Uele", 7, 0.5), ("CD53", "Haut-Uele", 8, 2),
        ("CD54", "Ituri", 9, 10), ("CD61", "Nord-Kivu", 9, 12), ("CD62", "Sud-Kivu", 11, 7),
        ("CD63", "Maniema", 10, 1), ("CD71", "Haut-Katanga", 8, 0.5), ("CD74", "Tanganyika", 7, 4),
        ("CD91", "Kasai-Central", 7, 1), ("CD92", "Kasai", 6, 2),
    ),
    "CF": (
        ("CF11", "Ombella M'Poko", 6, 1), ("CF12", "Lobaye", 5, 1), ("CF21", "Mambere-Kadei", 7, 1),
        ("CF22", "Nana-Mambere", 4, 2), ("CF31", "Ouham Pende", 6, 5), ("CF32", "Ouham", 7, 5),
        ("CF41", "Kemo", 4, 1), ("CF42", "Nana-Gribizi", 2, 3), ("CF43", "Ouaka", 5, 5),
        ("CF51", "Bamingui-Bangoran", 2, 2), ("CF52", "Haute-Kotto", 3, 4), ("CF53", "Vakaga", 2, 2),
        ("CF61", "Basse-Kotto", 6, 4), ("CF62", "Mbomou", 5, 3), ("CF63", "Haut-Mbomou", 4, 3),
        ("CF71", "Bangui", 1, 3),
    ),
    "SD": (
        ("SD01", "Khartoum", 7, 4), ("SD02", "North Darfur", 17, 8), ("SD03", "South Darfur", 21, 6),
        ("SD04", "West Darfur", 8, 6), ("SD05", "East Darfur", 9, 3), ("SD06", "Central Darfur", 9, 5),
        ("SD07", "South Kordofan", 17, 5), ("SD08", "Blue Nile", 7, 3), ("SD09", "White Nile", 9, 0.5),
        ("SD13", "North Kordofan", 8, 0.5), ("SD18", "West Kordofan", 14, 3), ("SD19", "Abyei PCA", 1, 2),
    ),
    "ML": (
        ("ML01", "Kayes", 7, 1), ("ML02", "Koulikoro", 7, 1), ("ML03", "Sikasso", 7, 1),
        ("ML04", "Segou", 7, 3), ("ML05", "Mopti", 8, 8), ("ML06", "Tombouctou", 5, 5), ("ML07", "Gao", 3, 6),
        ("ML08", "Kidal", 4, 3), ("ML09", "Bamako", 1, 1), ("ML10", "Menaka", 4, 4),
    ),
    "LB": (
        ("LB1", "Beirut", 1, 0.5), ("LB2", "Bekaa", 3, 2), ("LB3", "Mount Lebanon", 6, 0.5),
        ("LB4", "El Nabatieh", 4, 6), ("LB5", "North", 6, 0.5), ("LB6", "South", 3, 8),
        ("LB8", "Baalbek-El Hermel", 2, 1),
    ),
}  # fmt: skip

CATEGORY_WEIGHTS = {
    "ARM": 15, "TEN": 12, "ATK": 10, "THR": 10, "FIG": 8, "LOT": 8, "DSP": 7, "MOV": 6,
    "SXV": 5, "OTH": 5, "ABD": 3, "PRO": 3, "MOB": 3, "ELE": 3, "PCE": 2,
}  # fmt: skip
"""Share of each category in the field (per cent); a category the taxonomy adds later gets 1."""

PRIORITY_AROUND_DEFAULT = {
    "P1": {"P1": 30, "P2": 55, "P3": 15},
    "P2": {"P1": 4, "P2": 50, "P3": 40, "P4": 6},
    "P3": {"P2": 10, "P3": 70, "P4": 20},
    "P4": {"P3": 20, "P4": 80},
}
"""Triage scores each report: its category's default priority is where it most often lands."""

STATUS_BY_AGE = (
    (timedelta(days=2), {"received": 45, "under_review": 20, "unverified": 10, "verified": 10,
                         "response_dispatched": 3, "closed": 2, "rejected": 10}),
    (timedelta(days=60), {"received": 8, "under_review": 8, "unverified": 15, "verified": 25,
                          "response_dispatched": 12, "closed": 20, "rejected": 12}),
    (timedelta.max, {"received": 1, "under_review": 1, "unverified": 8, "verified": 3,
                     "response_dispatched": 1, "closed": 56, "rejected": 30}),
)  # fmt: skip
"""Status weights for an incident first reported less than so long ago."""

CREDIBILITY_REVIEWED = {1: 10, 2: 25, 3: 30, 4: 15, 5: 10, 6: 10}
PRECISION = {1: 10, 2: 25, 3: 50, None: 15}
ESCALATIONS = {0: 50, 1: 30, 2: 15, 3: 5}
MERGED_SHARE = 0.01
TRAINING_SHARE = 0.003
ELECTION_PROCESS_SHARE = 0.4

INCIDENT_COLUMNS = (
    "id", "category", "restricted", "status", "priority", "credibility", "country", "place_name",
    "lon", "lat", "precision", "areas", "in_town", "queue", "external_check", "escalation_level",
    "merged_into_id", "first_reported_at", "updated_at", "deadline_at", "training",
)  # fmt: skip

REPORTS_FROM_INCIDENTS = """
WITH nets AS (SELECT country, array_agg(id ORDER BY id) AS ids FROM networks GROUP BY country)
INSERT INTO reports (
    id, ref, network_id, incident_id, origin_incident_id, channel, received_at, category, text,
    language, place_name, lon, lat, areas, precision, flags, priority, reliability, credibility,
    training, created_at
)
SELECT i.id, 'B' || upper(lpad(to_hex(i.id), 7, '0')),
    CASE WHEN random() < 0.85 THEN n.ids[1 + floor(random() * cardinality(n.ids))::int] END,
    coalesce(i.merged_into_id, i.id), i.id,
    (ARRAY['sms', 'sms', 'sms', 'sms', 'sms', 'ussd', 'ussd', 'whatsapp', 'whatsapp', 'voice'])
        [1 + floor(random() * 10)::int],
    i.first_reported_at, i.category,
    (ARRAY['armed men near the market', 'soldiers at the checkpoint stopping women',
           'shooting since morning near the river', 'they took two girls on the road to the borehole',
           'cattle raid last night, houses burned', 'families fleeing toward the camp',
           'threats against the women''s group leader', 'men with guns at the water point'])
        [1 + floor(random() * 8)::int],
    CASE i.country WHEN 'SS' THEN 'en' WHEN 'SD' THEN 'ar' WHEN 'LB' THEN 'ar' ELSE 'fr' END,
    i.place_name, i.lon, i.lat, i.areas, i.precision,
    CASE WHEN i.precision IS NULL THEN '{"place_unresolved": true}'::jsonb
         ELSE jsonb_build_object('geocode_confidence', round((0.6 + random() * 0.4)::numeric, 2)) END,
    i.priority,
    (ARRAY['A', 'B', 'B', 'B', 'C', 'C', 'C', 'C', 'D', 'D', 'E', 'F', 'F', 'F', 'F', 'F', 'F', 'F'])
        [1 + floor(random() * 18)::int],
    i.credibility, i.training, i.first_reported_at + interval '2 seconds'
FROM incidents i LEFT JOIN nets n ON n.country = i.country
WHERE i.id BETWEEN %(first)s AND %(last)s
ORDER BY i.id
"""


@dataclass(frozen=True, slots=True)
class Loaded:
    incidents: int
    first_id: int
    last_id: int
    seconds: dict[str, float]


class _Weighted:
    """``draw(rng)`` picks a key with the given weights (cumulative table, bisected)."""

    def __init__(self, weights: Mapping[Any, float]) -> None:
        self.keys = list(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))
        self.total = self.cumulative[-1]

    def draw(self, rng: random.Random) -> Any:
        return self.keys[bisect.bisect(self.cumulative, rng.random() * self.total)]


def _text(value: object) -> str:
    """A value in COPY's text format (none of ours holds a tab, newline or backslash)."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


class _Generator:
    """Incident rows (as COPY text lines) for ids ``first`` … ``first + count - 1``."""

    def __init__(self, count: int, first: int, now: datetime, seed: int) -> None:
        self.count, self.first, self.now = count, first, now
        self.rng = random.Random(seed)
        taxonomy = load_taxonomy()
        self.categories = _Weighted({code: CATEGORY_WEIGHTS.get(code, 1) for code in taxonomy.categories})
        self.default_priority = {code: c.priority for code, c in taxonomy.categories.items()}
        self.restricted = {code: c.restricted for code, c in taxonomy.categories.items()}
        self.priorities = {p: _Weighted(PRIORITY_AROUND_DEFAULT[p]) for p in PRIORITIES}
        self.countries = _Weighted(COUNTRY_WEIGHTS)
        self.admin1 = {c: _Weighted({a: a[3] for a in areas}) for c, areas in ADMIN1.items()}
        self.statuses = [(age, _Weighted(w)) for age, w in STATUS_BY_AGE]
        self.credibility = _Weighted(CREDIBILITY_REVIEWED)
        self.precision = _Weighted(PRECISION)
        self.escalations = _Weighted(ESCALATIONS)
        self.merged: set[int] = set()
        self.area_json: dict[tuple[str, int], str] = {}
        for areas in ADMIN1.values():
            for pcode, name, below, _ in areas:
                for n in range(1, below + 1):
                    self.area_json[pcode, n] = (
                        f'{{"adm1_pcode": "{pcode}", "adm1_name": "{name}", "adm2_pcode": "{pcode}{n:02d}"}}'
                    )
        span = timedelta(days=365 * YEARS)
        self.start = now - span
        self.mean_gap = span.total_seconds() / max(count, 1)

    def lines(self) -> Iterator[str]:
        rng, now = self.rng, self.now
        t = self.start
        for ident in range(self.first, self.first + self.count):
            t = min(t + timedelta(seconds=rng.expovariate(1 / self.mean_gap)), now)
            yield self._incident(ident, t)

    def _incident(self, ident: int, reported: datetime) -> str:
        """One incident as a line of COPY text, columns in INCIDENT_COLUMNS order."""
        rng, now = self.rng, self.now
        category: str = self.categories.draw(rng)
        priority: str = self.priorities[self.default_priority[category]].draw(rng)
        age = now - reported
        status: str = next(w for limit, w in self.statuses if age < limit).draw(rng)
        deadline = reported + REVIEW_DEADLINES[priority]
        awaiting = status in ("received", "under_review")
        country: str = self.countries.draw(rng)
        precision: int | None = self.precision.draw(rng)
        lon = lat = place = None
        areas = "{}"
        in_town = False
        if precision is not None:
            pcode, name, below, _ = self.admin1[country].draw(rng)
            areas = self.area_json[pcode, rng.randint(1, below)]
            place, in_town = name, rng.random() < 0.35
            x, y, spread = CENTRES[country]
            lon, lat = (
                round(rng.uniform(x - spread, x + spread), 5),
                round(rng.uniform(y - spread, y + spread), 5),
            )
        if awaiting:
            credibility = 3 if rng.random() < 0.6 else 6
            escalation = self.escalations.draw(rng) if deadline < now else 0
            updated = reported
        else:
            credibility = self.credibility.draw(rng)
            escalation = 1 if rng.random() < 0.1 else 0
            updated = min(reported + timedelta(hours=rng.expovariate(1 / 30)), now)
        check = None
        if status in ("verified", "response_dispatched", "closed") and rng.random() < 0.23:
            check = "confirmed" if rng.random() < 0.87 else "contradicted"
        merged = None
        if ident - self.first > 50 and rng.random() < MERGED_SHARE:
            target = ident - rng.randint(1, 50)
            if target not in self.merged:  # never into one that is itself merged away
                merged = target
                self.merged.add(ident)
        queue = "triage"
        if category == "ELE" and rng.random() < ELECTION_PROCESS_SHARE:
            queue = "election_process"
        restricted, training = self.restricted[category], rng.random() < TRAINING_SHARE
        return (
            f"{ident}\t{category}\t{_text(restricted)}\t{status}\t{priority}\t{credibility}\t{country}\t"
            f"{_text(place)}\t{_text(lon)}\t{_text(lat)}\t{_text(precision)}\t{areas}\t{_text(in_town)}\t"
            f"{queue}\t{_text(check)}\t{escalation}\t{_text(merged)}\t{reported.isoformat()}\t"
            f"{updated.isoformat()}\t{deadline.isoformat()}\t{_text(training)}\n"
        )


def _deferred(conn: psycopg.Connection[Any]) -> tuple[list[str], list[str], list[str]]:
    """Drop the two tables' secondary indexes, unique and foreign keys; return what recreates them:
    unique constraints, then indexes, then foreign keys (which may need the unique ones)."""
    tables = list(TABLES)
    constraints = conn.execute(
        "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('u', 'f') ORDER BY conrelid, conname",
        [tables],
    ).fetchall()
    indexes = conn.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = ANY(%s::regclass[]) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
        "ORDER BY i.indrelid, i.indexrelid::regclass::text",
        [tables],
    ).fetchall()
    recreate: dict[str, list[str]] = {"u": [], "f": []}
    for table, name, kind, definition in constraints:
        conn.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(table), sql.Identifier(name))
        )
        recreate[kind].append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for name, _ in indexes:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    return recreate["u"], [definition for _, definition in indexes], recreate["f"]


def _short(statement: str) -> str:
    return statement.split(" WHERE ")[0][:100]


def load(
    conn: psycopg.Connection[Any],
    incidents: int,
    *,
    now: datetime | None = None,
    seed: int = 2026,
    progress: Callable[[str], None] = lambda _: None,
) -> Loaded:
    """Add INCIDENTS incidents (and their reports, and 4 networks per country) in one transaction.

    CONN must not be in a transaction; the tables may already hold rows (ids continue after them)."""
    now = now or datetime.now(UTC)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    with conn.transaction():
        conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for country in COUNTRY_WEIGHTS:
            for n in range(1, NETWORKS_PER_COUNTRY + 1):
                conn.execute(
                    "INSERT INTO networks (name, country, area_pcode, area_name, created_at) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (name) DO NOTHING",
                    [f"bench {country} {n}", country, *ADMIN1[country][n % len(ADMIN1[country])][:2], now],
                )
        row = conn.execute("SELECT coalesce(max(id), 0) FROM incidents").fetchone()
        first = int(row[0]) + 1 if row else 1
        last = first + incidents - 1
        unique, indexes, foreign = _deferred(conn)

        mark = time.perf_counter()
        generator = _Generator(incidents, first, now, seed)
        copy_sql = sql.SQL("COPY incidents ({}) FROM STDIN").format(
            sql.SQL(", ").join(map(sql.Identifier, INCIDENT_COLUMNS))
        )
        with conn.cursor() as cursor, cursor.copy(copy_sql) as copy:
            batch: list[str] = []
            for done, line in enumerate(generator.lines(), start=1):
                batch.append(line)
                if len(batch) == CHUNK:
                    copy.write("".join(batch))
                    batch.clear()
                    if done % (CHUNK * 10) == 0 or done == incidents:
                        progress(f"incidents {done:,}/{incidents:,} ({time.perf_counter() - mark:.0f} s)")
            copy.write("".join(batch))
        seconds["incidents_copy"] = time.perf_counter() - mark
        progress(f"incidents {incidents:,} copied in {seconds['incidents_copy']:.1f} s")

        mark = time.perf_counter()
        conn.execute("SELECT setseed(%s)", [math.sin(seed)])  # reports are as repeatable as incidents
        conn.execute(REPORTS_FROM_INCIDENTS, {"first": first, "last": last})
        seconds["reports_insert"] = time.perf_counter() - mark
        progress(f"reports {incidents:,} inserted in {seconds['reports_insert']:.1f} s")

        for statement in [*unique, *indexes, *foreign]:
            mark = time.perf_counter()
            conn.execute(statement)
            seconds[_short(statement)] = time.perf_counter() - mark
            progress(f"  {seconds[_short(statement)]:5.1f} s  {_short(statement)}")
        for table in TABLES:
            conn.execute(
                sql.SQL("SELECT setval(pg_get_serial_sequence({t}, 'id'), (SELECT max(id) FROM {i}))").format(
                    t=sql.Literal(table), i=sql.Identifier(table)
                )
            )
    seconds["total"] = time.perf_counter() - started
    return Loaded(incidents, first, last, seconds)


def vacuum_analyze(conn: psycopg.Connection[Any], progress: Callable[[str], None] = lambda _: None) -> float:
    """VACUUM ANALYZE the loaded tables, as autovacuum would have by now (CONN in autocommit)."""
    mark = time.perf_counter()
    for table in (*TABLES, "networks"):
        conn.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(table)))
    spent = time.perf_counter() - mark
    progress(f"VACUUM ANALYZE in {spent:.1f} s")
    return spent

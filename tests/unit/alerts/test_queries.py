"""The filters that decide which incidents and reports count are written once (issue #15)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.dialects import postgresql

from alerts.queries import REAL_INCIDENTS, REAL_REPORTS, UNMERGED, VERIFIED

pytestmark = pytest.mark.unit

ALERTS = Path(__file__).resolve().parents[3] / "alerts"
SPELLED_OUT = re.compile(r"merged_into_id\.is_\(None\)|training\.is_\(False\)|in_\(VERIFIED_STATES\)")


def test_no_query_in_alerts_spells_out_a_named_filter() -> None:
    found = [
        f"{path.relative_to(ALERTS)}:{number}"
        for path in sorted(ALERTS.rglob("*.py"))
        if path.name != "queries.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if SPELLED_OUT.search(line)
    ]
    assert found == []


@pytest.mark.parametrize(
    ("piece", "sql"),
    [
        (UNMERGED, "incidents.merged_into_id IS NULL"),
        (REAL_INCIDENTS, "incidents.training IS false"),
        (REAL_REPORTS, "reports.training IS false"),
        (VERIFIED, "incidents.status IN ('verified', 'response_dispatched', 'closed')"),
    ],
)
def test_each_piece_is_the_condition_its_name_says(piece: object, sql: str) -> None:
    compiled = piece.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})  # type: ignore[attr-defined]
    assert str(compiled) == sql

"""Reports as reviewers labelled them, for the classifier to train and be measured on (#16, #17).

Each example leaves in the shape of a line of ``tests/data/triage_eval.jsonl``: the report's text,
language, channel, received_at and country, and under ``expected`` the reviewer's category and flags
(``vawe_evidence`` beside them, as there), plus what triage said and when she labelled it. Not her
name, and no ``expected.priority``: an incident's priority moves with escalation, so it is no label.

The text is read from the report at export (an erased narrative is not exported). A restricted
report's text (sexual violence, or a cue of it not yet cleared, R29, R36) leaves only when the
caller asks for it; every export is in the audit trail with what it held.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from alerts.audit.trail import record_event
from alerts.models import Incident, LabelledExample, Report
from alerts.queries import REAL_REPORTS
from alerts.triage.taxonomy import Taxonomy
from alerts.unit_of_work import UnitOfWork

BATCH = 500
"""Examples read from the database at a time."""


@dataclass(frozen=True, slots=True)
class ExampleFilter:
    since: datetime | None = None
    """Labelled at or after."""
    country: str | None = None
    include_training: bool = False
    include_restricted: bool = False


@dataclass(frozen=True, slots=True)
class ExportCount:
    written: int = 0
    changed: int = 0
    """Of those written, how many reviewers moved to another category than triage's."""
    restricted_left_out: int = 0
    without_text: int = 0


def export_examples(
    filters: ExampleFilter,
    write: Callable[[dict[str, Any]], None],
    *,
    uow: UnitOfWork,
    taxonomy: Taxonomy,
    actor: str,
) -> ExportCount:
    """Hand each labelled example matching ``filters`` to ``write``, oldest label first; audited."""
    query = (
        select(LabelledExample, Report.text, Report.channel, Report.received_at, Incident.restricted)
        .join(Report, Report.id == LabelledExample.report_id)
        .outerjoin(Incident, Incident.id == Report.incident_id)
        .order_by(LabelledExample.labelled_at, LabelledExample.report_id)
    )
    if filters.since is not None:
        query = query.where(LabelledExample.labelled_at >= filters.since)
    if filters.country is not None:
        query = query.where(LabelledExample.country == filters.country)
    if not filters.include_training:
        query = query.where(REAL_REPORTS)
    written = changed = restricted = empty = 0
    with uow:
        for example, text, channel, received_at, incident_restricted in uow.session.execute(
            query.execution_options(yield_per=BATCH)
        ):
            if _restricted(example, incident_restricted, taxonomy) and not filters.include_restricted:
                restricted += 1
            elif not text.strip():
                empty += 1
            else:
                write(_line(example, text, channel, received_at))
                written += 1
                changed += example.category != example.triage_category
        count = ExportCount(written, changed, restricted, empty)
        record_event(
            uow.session,
            actor=actor,
            action="examples.export",
            subject_type="labelled_examples",
            subject_id="export",
            details={
                "since": filters.since.isoformat() if filters.since else None,
                "country": filters.country,
                "include_training": filters.include_training,
                "include_restricted": filters.include_restricted,
            }
            | asdict(count),
        )
        uow.commit()
    return count


def _restricted(example: LabelledExample, incident_restricted: bool | None, taxonomy: Taxonomy) -> bool:
    """Restricted now, or labelled or triaged as a restricted category (its incident may have moved)."""
    codes = (example.category, example.triage_category)
    return bool(incident_restricted) or any(
        code in taxonomy.categories and taxonomy[code].restricted for code in codes
    )


def _line(example: LabelledExample, text: str, channel: str, received_at: datetime) -> dict[str, Any]:
    flags = dict(example.flags)
    evidence = flags.pop("vawe_evidence", None)
    return {
        "id": f"report-{example.report_id}",
        "text": text,
        "language": example.language,
        "channel": channel,
        "received_at": _utc(received_at),
        "country": example.country,
        "expected": {"category": example.category, "flags": flags},
        **({"vawe_evidence": evidence} if evidence is not None else {}),
        "triage_category": example.triage_category,
        "labelled_at": _utc(example.labelled_at),
        "training": example.training,
    }


def _utc(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

"""Place aliases reviewers teach (#16): proposed by a place correction, decided by an admin, then
used by intake for this deployment before the gazetteer (``placement.alias_in``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from alerts.accounts.policy import ADMINISTER, require
from alerts.audit.trail import record_event
from alerts.errors import InvalidValue
from alerts.intake.placement import KnownPlace
from alerts.messages import Viewer
from alerts.models import PlaceAlias
from alerts.unit_of_work import UnitOfWork
from alerts.vocabulary import ALIAS_STATUSES

DECISIONS = {"approve": "approved", "reject": "rejected"}


def approved_aliases(session: Session, country: str | None) -> list[KnownPlace]:
    """The approved aliases for a report from ``country`` (all of them when it is not known)."""
    query = select(PlaceAlias).where(PlaceAlias.status == "approved")
    if country:
        query = query.where(or_(PlaceAlias.country == country, PlaceAlias.country == ""))
    return [
        KnownPlace(a.text, a.place_name, a.country or None, a.lon, a.lat, a.precision, dict(a.areas))
        for a in session.scalars(query)
    ]


def list_aliases(viewer: Viewer, *, uow: UnitOfWork, status: str = "proposed") -> list[dict[str, Any]]:
    """Aliases of one status, newest first, for the admin who decides them."""
    require(viewer, ADMINISTER, "read place aliases")
    if status not in ALIAS_STATUSES:
        raise InvalidValue(f"status {status!r} is not one of {', '.join(ALIAS_STATUSES)}")
    with uow:
        rows = uow.session.scalars(
            select(PlaceAlias).where(PlaceAlias.status == status).order_by(PlaceAlias.id.desc()).limit(200)
        )
        return [_view(a) for a in rows]


def decide_alias(
    alias_id: int, decision: str, viewer: Viewer, *, uow: UnitOfWork, now: datetime
) -> dict[str, Any]:
    """Approve or reject a proposed alias; an approved one replaces an earlier approval of the same
    words in the same country (the newest teaching wins). Audited."""
    require(viewer, ADMINISTER, "decide place aliases")
    if decision not in DECISIONS:
        raise InvalidValue(f"decision {decision!r} is not one of {', '.join(DECISIONS)}")
    with uow:
        alias = uow.session.get(PlaceAlias, alias_id, with_for_update=True)
        if alias is None:
            raise InvalidValue(f"no place alias {alias_id}")
        if alias.status != "proposed":
            raise InvalidValue(f"place alias {alias_id} is {alias.status}, not proposed")
        if decision == "approve":
            for earlier in uow.session.scalars(
                select(PlaceAlias).where(
                    PlaceAlias.status == "approved",
                    PlaceAlias.country == alias.country,
                    PlaceAlias.text == alias.text,
                )
            ):
                earlier.status = "rejected"
            uow.session.flush()
        alias.status, alias.decided_by, alias.decided_at = DECISIONS[decision], viewer.email, now
        record_event(
            uow.session,
            actor=viewer.email,
            action=f"alias.{decision}",
            subject_type="place_alias",
            subject_id=alias.id,
            details={"text": alias.text, "place": alias.place_name, "country": alias.country},
        )
        uow.commit()
        return _view(alias)


def _view(alias: PlaceAlias) -> dict[str, Any]:
    return {
        "id": alias.id,
        "typed": alias.typed,
        "text": alias.text,
        "country": alias.country or None,
        "place_name": alias.place_name,
        "lon": alias.lon,
        "lat": alias.lat,
        "precision": alias.precision,
        "areas": alias.areas,
        "status": alias.status,
        "incident_id": alias.incident_id,
        "proposed_by": alias.proposed_by,
        "proposed_at": alias.proposed_at.isoformat(),
        "decided_by": alias.decided_by,
        "decided_at": alias.decided_at.isoformat() if alias.decided_at else None,
    }

"""Consented call-backs: the contact vault's one human reader (DOMAIN.md §6.3 items 1, 6; §6.4; R28-R30).

Only the contact officer lists the monitors whose number is kept and reads a number, one at a time
and for a stated reason. Every read is an event of the hash-chained audit trail, written in the
transaction that reads: if the event cannot be written, no number comes back. Attempts on a number
by other roles are audited too (an attempt on the vault is what an auditor needs to see), as are
attempts on a contact that is not kept; a refused list reveals nothing and is not. Monitors appear
under a reference derived one-way from their key: not the key itself (which links to her reports
elsewhere), and never the number.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVarTuple

from sqlalchemy import Select, case, func, select

from alerts.accounts.policy import CONTACTS, may, require
from alerts.audit.trail import record_event
from alerts.errors import AlertsError, InvalidValue, NotPermitted
from alerts.messages import Viewer
from alerts.models import AuditEvent, ContactVaultEntry, Network, Report, Reporter
from alerts.queries import REAL_REPORTS
from alerts.reporters.vault import Vault
from alerts.unit_of_work import UnitOfWork

CALL_OUTCOMES = ("reached", "no_answer", "wrong_person")
REFERENCE_LENGTH = 10
"""Base32 characters of a reference: 50 bits, so two monitors never share one in practice."""
REASON_LIMIT = 200
PAGE = 50
MAX_PAGE = 200
SUBJECT = "contact"
READ, REFUSED, CALLED = "vault.read", "vault.read_refused", "vault.callback"
_NUMBER_LIKE = re.compile(r"\+?\d(?:[\s().-]?\d){6,}")
"""Seven digits or more, separators allowed: what may be a phone number typed into a reason."""
_Columns = TypeVarTuple("_Columns")


class NoContactKept(AlertsError):
    """No live vault entry for that reference: she withdrew, it expired, she never consented, or the
    reference is unknown. One answer for all, so that a panic word stays silent (R33)."""


@dataclass(frozen=True, slots=True)
class CallbackPage:
    items: list[dict[str, Any]]
    next_page: int | None


def contact_reference(reporter_key: str) -> str:
    """The short, one-way reference a contact officer knows her by."""
    digest = hashlib.sha256(f"dalili-contact:{reporter_key}".encode()).digest()
    return base64.b32encode(digest).decode()[:REFERENCE_LENGTH]


def list_callbacks(
    viewer: Viewer, *, uow: UnitOfWork, now: datetime, page: int = 1, per_page: int = PAGE
) -> CallbackPage:
    """Monitors with a live vault entry in her countries, latest contact first: pseudonymous only."""
    require(viewer, CONTACTS, "list call-backs")
    if page < 1 or not 1 <= per_page <= MAX_PAGE:
        raise InvalidValue(f"page must be 1 or more, and per_page between 1 and {MAX_PAGE}")
    latest = func.coalesce(Reporter.last_inbound_at, ContactVaultEntry.created_at)
    query = _live(select(ContactVaultEntry, Reporter, Network.name), viewer, now)
    query = query.order_by(latest.desc(), ContactVaultEntry.reporter_key.desc())
    with uow:
        rows = uow.session.execute(query.offset((page - 1) * per_page).limit(per_page + 1)).all()
        shown = rows[:per_page]
        activity = _activity(uow, [entry.reporter_key for entry, _, _ in shown])
        calls = _calls(uow, [contact_reference(entry.reporter_key) for entry, _, _ in shown])
        items = [
            _item(entry, reporter, network, activity.get(reporter.key, (0, None)), calls)
            for entry, reporter, network in shown
        ]
    return CallbackPage(items, page + 1 if len(rows) > per_page else None)


def reveal_contact(
    viewer: Viewer, reference: str, reason: str, *, uow: UnitOfWork, vault: Vault, now: datetime
) -> str:
    """Her E.164 number, for the contact officer who says why; one audit event per attempt."""
    wanted, note = _normal(reference), _NUMBER_LIKE.sub("…", reason.strip())[:REASON_LIMIT]
    with uow:
        if not may(viewer, CONTACTS):
            _refuse(uow, viewer, wanted, note, "role")
            raise NotPermitted(f"role {viewer.role} cannot read the contact vault")
        if not note:
            raise InvalidValue("say why you need her number")
        entry = _find(uow, viewer, wanted, now)
        if entry is None:
            _refuse(uow, viewer, wanted, note, "no_contact")
            raise NoContactKept(f"no contact is kept for {wanted}")
        _audit(uow, viewer, READ, wanted, {"reason": note})
        number = vault.open(entry.ciphertext)
        uow.commit()
    return number


def record_callback(viewer: Viewer, reference: str, outcome: str, *, uow: UnitOfWork, now: datetime) -> None:
    """The call back she made and how it went, in the audit trail: the list shows it."""
    if outcome not in CALL_OUTCOMES:
        raise InvalidValue(f"outcome must be one of {', '.join(CALL_OUTCOMES)}")
    require(viewer, CONTACTS, "record call-backs")
    wanted = _normal(reference)
    with uow:
        if _find(uow, viewer, wanted, now) is None:
            raise NoContactKept(f"no contact is kept for {wanted}")
        _audit(uow, viewer, CALLED, wanted, {"outcome": outcome})
        uow.commit()


def _normal(reference: str) -> str:
    return reference.strip().upper()[: REFERENCE_LENGTH * 2]


def _live(query: Select[*_Columns], viewer: Viewer, now: datetime) -> Select[*_Columns]:
    """Vault entries not yet expired, of networks in the countries she works on."""
    query = (
        query.join(Reporter, Reporter.key == ContactVaultEntry.reporter_key)
        .join(Network, Network.id == Reporter.network_id, isouter=True)
        .where(ContactVaultEntry.expires_at > now)
    )
    if viewer.countries:
        query = query.where(Network.country.in_(sorted(viewer.countries)))
    return query


def _find(uow: UnitOfWork, viewer: Viewer, reference: str, now: datetime) -> ContactVaultEntry | None:
    # References are one-way: compare against the live entries she may reach (a few thousand at most).
    keys = uow.session.scalars(_live(select(ContactVaultEntry.reporter_key), viewer, now))
    key = next((k for k in keys if contact_reference(k) == reference), None)
    return uow.session.get(ContactVaultEntry, key) if key else None


def _audit(uow: UnitOfWork, viewer: Viewer, action: str, reference: str, details: dict[str, Any]) -> None:
    record_event(
        uow.session,
        actor=viewer.email,
        action=action,
        subject_type=SUBJECT,
        subject_id=reference,
        details=details,
    )


def _refuse(uow: UnitOfWork, viewer: Viewer, reference: str, note: str, why: str) -> None:
    _audit(uow, viewer, REFUSED, reference, {"reason": note, "refused": why, "role": viewer.role})
    uow.commit()


def _activity(uow: UnitOfWork, keys: list[str]) -> dict[str, tuple[int, datetime | None]]:
    """Per reporter: her reports, and when her latest missed call ("beep") came."""
    if not keys:
        return {}
    missed = Report.flags["callback_needed"].as_boolean()
    rows = uow.session.execute(
        select(Report.reporter_key, func.count(), func.max(case((missed, Report.received_at))))
        .where(Report.reporter_key.in_(keys), REAL_REPORTS)
        .group_by(Report.reporter_key)
    )
    return {key: (count, beep) for key, count, beep in rows if key is not None}


@dataclass(frozen=True, slots=True)
class _Calls:
    last_at: datetime
    last_outcome: str
    reached_at: datetime | None


def _calls(uow: UnitOfWork, references: Iterable[str]) -> dict[str, _Calls]:
    """The latest recorded call back to each, and the latest that reached her."""
    events = uow.session.execute(
        select(AuditEvent.subject_id, AuditEvent.at, AuditEvent.details)
        .where(
            AuditEvent.action == CALLED,
            AuditEvent.subject_type == SUBJECT,
            AuditEvent.subject_id.in_(list(references)),
        )
        .order_by(AuditEvent.id)
    )
    calls: dict[str, _Calls] = {}
    for reference, at, details in events:
        outcome = str(details.get("outcome"))
        earlier = calls.get(reference)
        reached = at if outcome == "reached" else (earlier.reached_at if earlier else None)
        calls[reference] = _Calls(at, outcome, reached)
    return calls


def _item(
    entry: ContactVaultEntry,
    reporter: Reporter,
    network: str | None,
    activity: tuple[int, datetime | None],
    calls: dict[str, _Calls],
) -> dict[str, Any]:
    reference = contact_reference(reporter.key)
    reports, beep = activity
    call = calls.get(reference)
    waiting = beep is not None and (call is None or call.reached_at is None or beep > call.reached_at)
    return {
        "reference": reference,
        "network": network,
        "language": reporter.language,
        "last_contact_at": _iso(reporter.last_inbound_at),
        "reports": reports,
        "missed_call_at": _iso(beep) if waiting else None,
        "last_call_at": _iso(call.last_at) if call else None,
        "last_call_outcome": call.last_outcome if call else None,
        "stopped_messages": reporter.opted_out,
        "expires_at": entry.expires_at.isoformat(),
    }


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None

"""A reporter's relationship with Dalili: registration, consent, language, STOP and panic (R28, R33)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from alerts.audit.trail import record_event
from alerts.errors import InvalidValue
from alerts.models import BodyNumber, ContactVaultEntry, Network, Report, Reporter
from alerts.reporters.retention import VAULT_DAYS
from alerts.reporters.vault import Vault
from alerts.unit_of_work import UnitOfWork

"""A vault entry expires this long after her latest report (DOMAIN.md §6.3 item 5, R31)."""


def create_network(
    name: str, *, country: str, area_name: str | None, join_code: str | None, uow: UnitOfWork
) -> int:
    """Create a women's network; a join code lets monitors join it by SMS."""
    with uow:
        if uow.session.scalar(select(Network.id).where(Network.name == name)) is not None:
            raise InvalidValue(f"a network named {name!r} already exists")
        network = Network(
            name=name,
            country=country.upper(),
            area_name=area_name,
            join_code=join_code.strip().upper() if join_code else None,
        )
        uow.session.add(network)
        uow.session.flush()
        uow.commit()
        return network.id


def register_monitor(
    reporter_key: str,
    *,
    network_name: str,
    language: str,
    address: str,
    consent_followup: bool,
    consent_callback: bool,
    home_area_name: str | None,
    uow: UnitOfWork,
    vault: Vault,
    now: datetime,
    group_key: str | None = None,
    contact_days: int = VAULT_DAYS,
) -> None:
    """Register (or update) a monitor of a network; her number is kept only with call-back consent."""
    with uow:
        network = uow.session.scalar(select(Network).where(Network.name == network_name))
        if network is None:
            raise InvalidValue(f"no network named {network_name!r}")
        reporter = uow.session.get(Reporter, reporter_key) or Reporter(key=reporter_key)
        reporter.network_id = network.id
        reporter.language = language
        reporter.home_area_name = home_area_name
        reporter.group_key = group_key
        reporter.registered = True
        reporter.consent_followup = consent_followup
        reporter.consent_callback = consent_callback
        reporter.opted_out = False
        uow.session.add(reporter)
        uow.session.flush()
        _keep_contact(uow, reporter, address, vault, now + timedelta(days=contact_days))
        uow.commit()


def _keep_contact(uow: UnitOfWork, reporter: Reporter, address: str, vault: Vault, expires: datetime) -> None:
    entry = uow.session.get(ContactVaultEntry, reporter.key)
    if not reporter.consent_callback:
        if entry is not None:
            uow.session.delete(entry)
        return
    entry = entry or ContactVaultEntry(reporter_key=reporter.key)
    entry.ciphertext = vault.seal(address)
    entry.expires_at = expires
    uow.session.add(entry)


def join_network(reporter_key: str, join_code: str, *, uow: UnitOfWork) -> bool:
    """Attach a reporter to the network whose join code she sent; False for an unknown code."""
    with uow:
        network = uow.session.scalar(select(Network).where(Network.join_code == join_code.strip().upper()))
        reporter = uow.session.get(Reporter, reporter_key)
        if network is None or reporter is None:
            return False
        reporter.network_id = network.id
        reporter.registered = True
        uow.commit()
        return True


def set_language(reporter_key: str, language: str, *, uow: UnitOfWork) -> None:
    with uow:
        reporter = uow.session.get(Reporter, reporter_key)
        if reporter is not None:
            reporter.language = language
            uow.commit()


def stop_messages(reporter_key: str, *, uow: UnitOfWork) -> None:
    """STOP: nothing more is sent to her; her reports still count."""
    with uow:
        reporter = uow.session.get(Reporter, reporter_key)
        if reporter is not None:
            reporter.opted_out = True
            uow.commit()


def withdraw(reporter_key: str, *, uow: UnitOfWork, now: datetime) -> None:
    """Panic word: stop all messages, erase her contact data (her number, and the numbers she wrote
    in her messages), mark her past reports (R33)."""
    with uow:
        reporter = uow.session.get(Reporter, reporter_key)
        if reporter is None:
            return
        reporter.opted_out = True
        reporter.consent_followup = reporter.consent_callback = False
        reporter.withdrawn_at = now
        entry = uow.session.get(ContactVaultEntry, reporter_key)
        if entry is not None:
            uow.session.delete(entry)
        uow.session.execute(delete(BodyNumber).where(BodyNumber.reporter_key == reporter_key))
        for report in uow.session.scalars(select(Report).where(Report.reporter_key == reporter_key)):
            report.flags = report.flags | {"reporter_withdrew_contact": True}
        record_event(
            uow.session,
            actor="reporter",
            action="reporter.withdraw",
            subject_type="reporter",
            subject_id=reporter_key[:12],
        )
        uow.commit()


@dataclass(frozen=True, slots=True)
class ReporterProfile:
    language: str
    home_area_name: str | None


def reporter_profile(reporter_key: str, *, uow: UnitOfWork) -> ReporterProfile | None:
    """What the menus need to know about her; nothing that identifies her."""
    with uow:
        reporter = uow.session.get(Reporter, reporter_key)
        return ReporterProfile(reporter.language, reporter.home_area_name) if reporter else None

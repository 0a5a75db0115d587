"""Administration: users, networks and monitors — configuration, not content (DOMAIN.md §6.4).

The administrator sees monitors by pseudonym prefix only, never a number or a narrative; every
change is in the audit trail.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from alerts.accounts.policy import ADMINISTER, require
from alerts.accounts.users import create_user, end_access
from alerts.audit.trail import record_event
from alerts.errors import InvalidValue, UnknownUser
from alerts.messages import Viewer
from alerts.models import Network, Reporter, User
from alerts.unit_of_work import UnitOfWork

PSEUDONYM_SHOWN = 12
"""Characters of a reporter key an administrator sees: enough to tell monitors apart, no more."""


def _require_admin(viewer: Viewer) -> None:
    require(viewer, ADMINISTER, "administer the deployment")


def list_users(viewer: Viewer, *, uow: UnitOfWork) -> list[dict[str, Any]]:
    _require_admin(viewer)
    with uow:
        users = uow.session.scalars(select(User).order_by(User.email))
        return [
            {
                "id": u.id,
                "email": u.email,
                "role": u.role,
                "active": u.active,
                "countries": sorted(u.countries or []),
                "language": u.language,
                "second_factor": u.totp_secret is not None,
            }
            for u in users
        ]


def add_user(viewer: Viewer, email: str, role: str, countries: list[str], *, uow: UnitOfWork) -> str:
    """Create a user scoped to ``countries``; returns her first password, shown once."""
    _require_admin(viewer)
    codes = _country_codes(countries)
    password = create_user(email, role, None, uow=uow)
    with uow:
        user = uow.session.scalar(select(User).where(User.email == email.strip().lower()))
        assert user is not None  # just created
        user.countries = codes
        record_event(
            uow.session,
            actor=viewer.email,
            action="user.scope",
            subject_type="user",
            subject_id=user.id,
            details={"countries": codes},
        )
        uow.commit()
    return password


def set_user_active(viewer: Viewer, user_id: int, active: bool, *, uow: UnitOfWork) -> None:
    """Switch her account on or off; off also ends her sessions and revokes her API tokens."""
    _require_admin(viewer)
    if user_id == viewer.user_id and not active:
        raise InvalidValue("an administrator cannot switch off her own account")
    with uow:
        user = uow.session.get(User, user_id)
        if user is None:
            raise UnknownUser(str(user_id))
        user.active = active
        if not active:
            end_access(uow.session, user, actor=viewer.email)
        record_event(
            uow.session,
            actor=viewer.email,
            action="user.activate" if active else "user.deactivate",
            subject_type="user",
            subject_id=user.id,
        )
        uow.commit()


def list_networks(viewer: Viewer, *, uow: UnitOfWork) -> list[dict[str, Any]]:
    _require_admin(viewer)
    with uow:
        monitors = dict(
            uow.session.execute(
                select(Reporter.network_id, func.count())
                .where(Reporter.registered)
                .group_by(Reporter.network_id)
            ).all()
        )
        networks = uow.session.scalars(select(Network).order_by(Network.country, Network.name))
        return [
            {
                "id": n.id,
                "name": n.name,
                "country": n.country,
                "area": n.area_name,
                "join_code": n.join_code,
                "monitors": monitors.get(n.id, 0),
            }
            for n in networks
        ]


def list_monitors(viewer: Viewer, network_id: int, *, uow: UnitOfWork) -> list[dict[str, Any]]:
    """A network's monitors by pseudonym prefix, language and consents: never a number."""
    _require_admin(viewer)
    with uow:
        reporters = uow.session.scalars(
            select(Reporter)
            .where(Reporter.network_id == network_id, Reporter.registered)
            .order_by(Reporter.key)
        )
        return [
            {
                "pseudonym": r.key[:PSEUDONYM_SHOWN],
                "language": r.language,
                "home_area": r.home_area_name,
                "reliability": r.reliability,
                "follow_ups": r.consent_followup,
                "call_backs": r.consent_callback,
                "opted_out": r.opted_out,
                "withdrawn": r.withdrawn_at is not None,
            }
            for r in reporters
        ]


def _country_codes(countries: list[str]) -> list[str]:
    codes = sorted({c.strip().upper() for c in countries if c.strip()})
    if bad := [c for c in codes if len(c) != 2 or not c.isalpha()]:
        raise InvalidValue(f"countries must be ISO 3166 alpha-2 codes, not {', '.join(bad)}")
    return codes

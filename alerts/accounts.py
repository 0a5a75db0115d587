"""Users, roles and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.audit import record_event
from alerts.errors import InvalidCredentials, InvalidValue, UnknownUser
from alerts.messages import Viewer
from alerts.models import ApiToken, Network, User, utcnow
from alerts.unit_of_work import UnitOfWork
from alerts.vocabulary import ROLES

_hasher = PasswordHasher()


def _token_digest(token: str) -> str:
    # Tokens are 256-bit random values, so a fast hash is enough; passwords get argon2.
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(email: str, role: str, password: str | None, *, uow: UnitOfWork) -> str:
    """Create an active user and return her password (generated when none is given)."""
    if role not in ROLES:
        raise InvalidValue(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    password = password or secrets.token_urlsafe(12)
    with uow:
        user = User(email=email.strip().lower(), password_hash=_hasher.hash(password), role=role)
        uow.session.add(user)
        uow.session.flush()
        record_event(
            uow.session,
            actor="cli",
            action="user.create",
            subject_type="user",
            subject_id=user.id,
            details={"role": role},
        )
        uow.commit()
    return password


def create_api_token(email: str, *, uow: UnitOfWork) -> str:
    """Issue a new bearer token for an active user; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    with uow:
        user = uow.session.scalar(select(User).where(User.email == email.strip().lower(), User.active))
        if user is None:
            raise UnknownUser(email)
        uow.session.add(ApiToken(user_id=user.id, token_hash=_token_digest(token)))
        record_event(uow.session, actor="cli", action="token.create", subject_type="user", subject_id=user.id)
        uow.commit()
    return token


def authenticate_token(token: str, *, uow: UnitOfWork) -> Viewer:
    """Resolve a bearer token to the user it was issued to."""
    with uow:
        row = uow.session.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == _token_digest(token), User.active)
        ).first()
        if row is None:
            raise InvalidCredentials("unknown or revoked token")
        api_token, user = row
        api_token.last_used_at = utcnow()
        viewer = viewer_of(uow.session, user)
        uow.commit()
    return viewer


def viewer_of(session: Session, user: User) -> Viewer:
    """What the services need to know about a signed-in user: role, networks, countries, language."""
    networks = session.scalars(select(Network.id).where(Network.coordinator_id == user.id))
    return Viewer(
        user.id,
        user.email,
        user.role,
        frozenset(networks),
        countries=frozenset(user.countries or ()),
        language=user.language,
    )

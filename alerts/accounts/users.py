"""Users, roles, passwords with an optional second factor, and API tokens."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from alerts.audit.trail import record_event
from alerts.errors import InvalidCredentials, InvalidValue, UnknownUser
from alerts.messages import Viewer
from alerts.models import ApiToken, Network, User, utcnow
from alerts.unit_of_work import UnitOfWork
from alerts.vocabulary import ROLES

_hasher = PasswordHasher()

DASHBOARD_LANGUAGES = ("en", "fr", "ar")
"""Languages the dashboard is translated into; users.language holds one of them."""
TOTP_ISSUER = "Dalili"
"""The name an authenticator app shows next to her code."""
LOGIN_FAILED = "Wrong email, password or code."
"""One message for every sign-in failure, so nobody can tell which accounts exist or use a code."""


def _token_digest(token: str) -> str:
    # Tokens are 256-bit random values, so a fast hash is enough; passwords get argon2.
    return hashlib.sha256(token.encode()).hexdigest()


def _country_codes(countries: Iterable[str]) -> list[str]:
    codes = sorted({code.strip().upper() for code in countries})
    bad = [code for code in codes if not (len(code) == 2 and code.isascii() and code.isalpha())]
    if bad:
        raise InvalidValue(f"countries are ISO 3166 alpha-2 codes (SS, CF, CD, ML …), not {', '.join(bad)}")
    return codes


def create_user(
    email: str, role: str, password: str | None, *, uow: UnitOfWork, countries: Iterable[str] = ()
) -> str:
    """Create an active user and return her password (generated when none is given).

    ``countries`` scopes her to the missions she works on; none means every country served.
    """
    if role not in ROLES:
        raise InvalidValue(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    codes = _country_codes(countries)
    password = password or secrets.token_urlsafe(12)
    address = email.strip().lower()
    with uow:
        # Asked, not left to the unique index: an administrator resending the form gets a plain answer.
        if uow.session.scalar(select(User.id).where(User.email == address)) is not None:
            raise InvalidValue(f"{address} already has an account")
        user = User(email=address, password_hash=_hasher.hash(password), role=role, countries=codes)
        uow.session.add(user)
        uow.session.flush()
        record_event(
            uow.session,
            actor="cli",
            action="user.create",
            subject_type="user",
            subject_id=user.id,
            details={"role": role, "countries": codes},
        )
        uow.commit()
    return password


def _user(session: Session, email: str, *, active_only: bool = False) -> User:
    query = select(User).where(User.email == email.strip().lower())
    user = session.scalar(query.where(User.active) if active_only else query)
    if user is None:
        raise UnknownUser(email)
    return user


def create_api_token(email: str, *, days: int, uow: UnitOfWork) -> tuple[str, datetime]:
    """Issue a new bearer token for an active user, working for ``days``; only its hash is kept.

    Returns the token and when it expires.
    """
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(days=days)
    with uow:
        user = _user(uow.session, email, active_only=True)
        uow.session.add(ApiToken(user_id=user.id, token_hash=_token_digest(token), expires_at=expires_at))
        record_event(
            uow.session,
            actor="cli",
            action="token.create",
            subject_type="user",
            subject_id=user.id,
            details={"expires_at": expires_at.isoformat()},
        )
        uow.commit()
    return token, expires_at


def list_api_tokens(email: str, *, uow: UnitOfWork) -> list[dict[str, Any]]:
    """Her tokens, newest first: when each was issued, expires, was last used and revoked."""
    with uow:
        user = _user(uow.session, email)
        tokens = uow.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
        return [
            {
                "id": t.id,
                "created_at": t.created_at,
                "expires_at": t.expires_at,
                "last_used_at": t.last_used_at,
                "revoked_at": t.revoked_at,
            }
            for t in tokens
        ]


def _revoke_tokens(session: Session, user_id: int, *, actor: str, token_id: int | None = None) -> list[int]:
    live = select(ApiToken.id).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    if token_id is not None:
        live = live.where(ApiToken.id == token_id)
    revoked = list(session.scalars(live))
    if revoked:
        session.execute(
            update(ApiToken)
            .where(ApiToken.id.in_(revoked))
            .values(revoked_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        record_event(
            session,
            actor=actor,
            action="token.revoke",
            subject_type="user",
            subject_id=user_id,
            details={"tokens": revoked},
        )
    return revoked


def revoke_api_tokens(email: str, *, token_id: int | None = None, uow: UnitOfWork) -> list[int]:
    """Revoke one of her tokens (``token_id``, from `dalili token list`) or all of them; returns the
    ids revoked now. A revoked token never works again."""
    with uow:
        user = _user(uow.session, email)
        revoked = _revoke_tokens(uow.session, user.id, actor="cli", token_id=token_id)
        uow.commit()
    return revoked


def end_access(session: Session, user: User, *, actor: str) -> None:
    """She is switched off: end her dashboard sessions and revoke her API tokens, so that switching
    her back on brings back neither (she signs in again, and gets new tokens)."""
    user.session_version += 1
    _revoke_tokens(session, user.id, actor=actor)


def end_sessions(user_id: int, *, uow: UnitOfWork) -> None:
    """She signed out: every session cookie of hers, this one and any copy of it, stops working."""
    with uow:
        user = uow.session.get(User, user_id)
        if user is None:
            return
        user.session_version += 1
        record_event(
            uow.session, actor=user.email, action="user.logout", subject_type="user", subject_id=user.id
        )
        uow.commit()


def authenticate_token(token: str, *, uow: UnitOfWork) -> Viewer:
    """Resolve a bearer token to the user it was issued to, unless it expired or was revoked."""
    now = utcnow()
    with uow:
        row = uow.session.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(
                ApiToken.token_hash == _token_digest(token),
                ApiToken.revoked_at.is_(None),
                ApiToken.expires_at > now,
                User.active,
            )
        ).first()
        if row is None:
            raise InvalidCredentials("unknown, expired or revoked token")
        api_token, user = row
        api_token.last_used_at = now
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
        session_version=user.session_version,
    )


@functools.cache
def _unknown_user_hash() -> str:
    # Verified against when the email is unknown, so a miss costs as long as a wrong password.
    return _hasher.hash(secrets.token_urlsafe(16))


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _totp_step(secret: str, code: str, now: datetime) -> int | None:
    """The 30-second step this code belongs to: the current one, or one either side (clock drift)."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current + 1, current, current - 1):
        if hmac.compare_digest(totp.generate_otp(step).encode(), code.encode()):
            return step
    return None


def _spend_code(session: Session, user_id: int, secret: str, code: str) -> str | None:
    """Accept her code once: its step must be later than the last one she used. One conditional
    UPDATE, so two sign-ins racing with the same code cannot both get in."""
    step = _totp_step(secret, code, utcnow())
    if step is None:
        return "second_factor"
    spent = session.scalar(
        update(User)
        .where(User.id == user_id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .returning(User.id)
        .execution_options(synchronize_session=False)
    )
    return None if spent is not None else "second_factor_reused"


def _login_refusal(session: Session, user: User | None, password: str, totp_code: str | None) -> str | None:
    """Why this sign-in must be refused (for the audit trail only), or None when it may proceed."""
    if user is None:
        _password_matches(_unknown_user_hash(), password)  # as slow as a wrong password: no account probe
        return "unknown_account"
    if not _password_matches(user.password_hash, password):
        return "password"
    if not user.active:
        return "inactive"
    if user.totp_secret:
        return _spend_code(session, user.id, user.totp_secret, totp_code or "")
    return None


def authenticate_password(email: str, password: str, totp_code: str | None, *, uow: UnitOfWork) -> Viewer:
    """Sign a user in with her password (and her TOTP code when she has one); InvalidCredentials otherwise.

    Every refusal raises the same message and is audited without the password; an unknown email is
    audited without the address either, since people type passwords into the email field.
    """
    address = email.strip().lower()
    with uow:
        user = uow.session.scalar(select(User).where(User.email == address))
        refusal = _login_refusal(uow.session, user, password, totp_code)
        if user is None or refusal is not None:
            record_event(
                uow.session,
                actor=user.email if user else "anonymous",
                action="user.login_failed",
                subject_type="user",
                subject_id=user.id if user else "unknown",
                details={"reason": refusal or "unknown_account"},
            )
            uow.commit()
            raise InvalidCredentials(LOGIN_FAILED)
        if _hasher.check_needs_rehash(user.password_hash):
            # Parameters were raised since she last signed in: store the stronger hash now we know it.
            user.password_hash = _hasher.hash(password)
        record_event(
            uow.session,
            actor=user.email,
            action="user.login",
            subject_type="user",
            subject_id=user.id,
            details={"second_factor": user.totp_secret is not None},
        )
        viewer = viewer_of(uow.session, user)
        uow.commit()
    return viewer


def active_viewer(user_id: int, *, uow: UnitOfWork) -> Viewer | None:
    """The signed-in user as she is now; None once she is deactivated or removed (signs her out)."""
    with uow:
        user = uow.session.get(User, user_id)
        if user is None or not user.active:
            return None
        return viewer_of(uow.session, user)


def viewer_by_email(email: str, *, uow: UnitOfWork) -> Viewer:
    """An active user acting from a terminal (exports and reads are audited under her name)."""
    with uow:
        user = uow.session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None or not user.active:
            raise InvalidValue(f"no active user {email}")
        return viewer_of(uow.session, user)


def enable_totp(email: str, *, uow: UnitOfWork) -> str:
    """Give an active user a new TOTP secret and return its otpauth:// URI for her authenticator app.

    Running it again replaces the secret: the way back in for someone who lost her phone.
    """
    secret = pyotp.random_base32()
    with uow:
        user = _user(uow.session, email, active_only=True)
        user.totp_secret = secret
        user.session_version += 1  # a session opened with the old (perhaps stolen) phone ends
        record_event(
            uow.session, actor="cli", action="user.totp_enable", subject_type="user", subject_id=user.id
        )
        uow.commit()
        return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def set_user_language(user_id: int, language: str, *, uow: UnitOfWork) -> None:
    """Remember the dashboard language she chose."""
    if language not in DASHBOARD_LANGUAGES:
        raise InvalidValue(f"language must be one of {', '.join(DASHBOARD_LANGUAGES)}")
    with uow:
        user = uow.session.get(User, user_id)
        if user is None:
            raise UnknownUser(str(user_id))
        user.language = language
        uow.commit()

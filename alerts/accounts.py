"""Users, roles, passwords with an optional second factor, and API tokens."""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Iterable

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.audit import record_event
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
    with uow:
        user = User(
            email=email.strip().lower(), password_hash=_hasher.hash(password), role=role, countries=codes
        )
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


@functools.cache
def _unknown_user_hash() -> str:
    # Verified against when the email is unknown, so a miss costs as long as a wrong password.
    return _hasher.hash(secrets.token_urlsafe(16))


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _login_refusal(user: User | None, password: str, totp_code: str | None) -> str | None:
    """Why this sign-in must be refused (for the audit trail only), or None when it may proceed."""
    if user is None:
        _password_matches(_unknown_user_hash(), password)  # as slow as a wrong password: no account probe
        return "unknown_account"
    if not _password_matches(user.password_hash, password):
        return "password"
    if not user.active:
        return "inactive"
    if user.totp_secret and not (
        totp_code and pyotp.TOTP(user.totp_secret).verify(totp_code, valid_window=1)
    ):
        return "second_factor"
    return None


def authenticate_password(email: str, password: str, totp_code: str | None, *, uow: UnitOfWork) -> Viewer:
    """Sign a user in with her password (and her TOTP code when she has one); InvalidCredentials otherwise.

    Every refusal raises the same message and is audited without the password; an unknown email is
    audited without the address either, since people type passwords into the email field.
    """
    address = email.strip().lower()
    with uow:
        user = uow.session.scalar(select(User).where(User.email == address))
        refusal = _login_refusal(user, password, totp_code)
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
        user = uow.session.scalar(select(User).where(User.email == email.strip().lower(), User.active))
        if user is None:
            raise UnknownUser(email)
        user.totp_secret = secret
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

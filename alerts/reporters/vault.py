"""The contact vault: a reporter's number, encrypted with rotating keys (R28, DOMAIN.md §6.3)."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from alerts.errors import AlertsError


class VaultError(AlertsError):
    """A sealed value cannot be opened: wrong or retired key, tampering, or past its age."""


class Vault:
    """Seal and open short secrets with MultiFernet; the first key encrypts, all keys decrypt."""

    def __init__(self, keys: str) -> None:
        fernets = [Fernet(key.strip().encode()) for key in keys.split(",") if key.strip()]
        if not fernets:
            raise VaultError("the vault needs at least one Fernet key")
        self._fernet = MultiFernet(fernets)

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def open(self, token: str, *, max_age_seconds: int | None = None) -> str:
        """Decrypt; with ``max_age_seconds``, refuse anything sealed longer ago than that."""
        try:
            return self._fernet.decrypt(token.encode(), ttl=max_age_seconds).decode()
        except InvalidToken as exc:
            raise VaultError("sealed value cannot be opened (key, integrity or age)") from exc

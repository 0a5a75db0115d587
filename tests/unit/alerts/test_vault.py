"""The contact vault's encryption (R28): unreadable without its key, rotating keys, crypto-shredding."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from alerts.reporters.vault import Vault, VaultError

NUMBER = "+211912345678"
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_a_sealed_number_opens_with_its_key_and_shows_nothing_in_between() -> None:
    sealed = Vault(OLD).seal(NUMBER)
    assert "211912345678" not in sealed
    assert Vault(OLD).open(sealed) == NUMBER
    assert Vault(OLD).seal(NUMBER) != sealed  # a fresh IV: equal numbers are not linkable


def test_without_the_vault_key_nothing_can_be_read() -> None:
    sealed = Vault(OLD).seal(NUMBER)
    with pytest.raises(VaultError):
        Vault(NEW).open(sealed)


def test_a_new_key_encrypts_while_the_old_one_still_opens_until_it_is_retired() -> None:
    before = Vault(OLD).seal(NUMBER)
    rotated = Vault(f"{NEW},{OLD}")
    after = rotated.seal(NUMBER)
    assert rotated.open(before) == rotated.open(after) == NUMBER
    assert Vault(NEW).open(after) == NUMBER
    with pytest.raises(VaultError):  # retiring the old key destroys what only it sealed
        Vault(NEW).open(before)


def test_a_tampered_or_aged_token_is_refused() -> None:
    sealed = Vault(OLD).seal(NUMBER)
    with pytest.raises(VaultError):
        Vault(OLD).open(sealed[:-4] + "AAAA")
    with pytest.raises(VaultError):
        Vault(OLD).open(sealed, max_age_seconds=-1)


@pytest.mark.parametrize("keys", ["", " , ", "not-a-fernet-key"])
def test_a_vault_without_a_usable_key_is_refused(keys: str) -> None:
    with pytest.raises((VaultError, ValueError)):
        Vault(keys)

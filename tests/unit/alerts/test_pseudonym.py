from __future__ import annotations

import pytest

from alerts.reporters.pseudonym import reporter_key

pytestmark = pytest.mark.unit


def test_key_is_stable_hex_sha256_and_hides_the_number() -> None:
    key = reporter_key("+211912345678", "pepper")
    assert key == reporter_key("+211912345678", "pepper")
    assert len(key) == 64
    assert int(key, 16) >= 0
    assert "912345678" not in key


def test_another_pepper_gives_another_key() -> None:
    assert reporter_key("+211912345678", "one") != reporter_key("+211912345678", "two")


def test_a_missing_pepper_is_refused() -> None:
    with pytest.raises(ValueError, match="pepper"):
        reporter_key("+211912345678", "")

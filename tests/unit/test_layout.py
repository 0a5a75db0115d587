"""The five top-level names also exist on PyPI: make sure ours are the ones imported."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("package", ["app", "channels", "alerts", "geo", "config"])
def test_top_level_package_is_this_repositorys(package: str) -> None:
    module = importlib.import_module(package)
    assert Path(module.__file__ or "").resolve().is_relative_to(REPOSITORY)


def test_tests_cannot_reach_the_internet() -> None:
    import socket

    from pytest_socket import SocketConnectBlockedError

    with pytest.warns(UserWarning, match="52.1.2.3"), pytest.raises(SocketConnectBlockedError):
        socket.create_connection(("52.1.2.3", 443), timeout=1)  # an api.twilio.com-like address


def test_every_package_is_listed_for_installation() -> None:
    """pyproject.toml lists packages by hand (the PyPI names above): a package missing from the list
    works in a checkout and is absent from an installed wheel."""
    import tomllib

    listed = set(tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(REPOSITORY).parts)
        for top in ("app", "channels", "alerts", "geo", "config")
        for init in (REPOSITORY / top).rglob("__init__.py")
    }
    assert found == listed

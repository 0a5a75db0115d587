"""Retention rules that need no database (R31); the runs themselves are in tests/integration."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import pytest

from alerts.errors import InvalidValue
from alerts.models import utcnow
from alerts.reporters.retention import FINISHED, WAITING, RetentionResult, apply_retention, retention_due
from alerts.unit_of_work import UnitOfWork
from alerts.vocabulary import INBOUND_STATUSES
from config.settings import Settings, SettingsError

pytestmark = pytest.mark.unit

NO_DATABASE = cast(UnitOfWork, object())
"""Anything that touched it would fail: the periods are checked before any query."""


def test_every_inbound_status_is_either_finished_or_still_waiting() -> None:
    # A new status must be placed deliberately: erasing a waiting message would lose her report.
    assert sorted((*FINISHED, *WAITING)) == sorted(INBOUND_STATUSES)
    assert not set(FINISHED) & set(WAITING)


@pytest.mark.parametrize("periods", [{"raw_message_days": 0}, {"vault_days": 0}, {"vault_days": -1}])
@pytest.mark.parametrize("run", [apply_retention, retention_due])
def test_a_period_under_a_day_is_refused_before_anything_is_touched(
    periods: dict[str, int], run: Callable[..., RetentionResult]
) -> None:
    with pytest.raises(InvalidValue, match="at least one day"):
        run(utcnow(), uow=NO_DATABASE, **periods)


def test_a_result_says_whether_anything_changed() -> None:
    assert not RetentionResult().changed
    assert RetentionResult(vault_entries_shortened=1).changed


class TestSettings:
    def test_the_periods_default_to_domain_values(self) -> None:
        settings = Settings.from_env({})
        assert (settings.raw_message_days, settings.vault_days) == (30, 90)

    def test_the_periods_are_read_from_the_environment(self) -> None:
        settings = Settings.from_env({"DALILI_RAW_MESSAGE_DAYS": "14", "DALILI_VAULT_DAYS": "60"})
        assert (settings.raw_message_days, settings.vault_days) == (14, 60)

    @pytest.mark.parametrize("variable", ["DALILI_RAW_MESSAGE_DAYS", "DALILI_VAULT_DAYS"])
    @pytest.mark.parametrize("value", ["0", "-3", "thirty"])
    def test_a_period_that_is_not_a_positive_number_of_days_is_refused(
        self, variable: str, value: str
    ) -> None:
        with pytest.raises(SettingsError, match=variable):
            Settings.from_env({variable: value})

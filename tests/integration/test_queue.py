"""RQ on a real Redis and on the embedded fakeredis: same queues, same jobs, same registries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from flask import Flask
from rq.registry import FailedJobRegistry, ScheduledJobRegistry
from sqlalchemy import select

from alerts.models import Report
from app import jobs
from app.bootstrap import Services
from app.infra.queueing import QUEUE_NAMES
from app.worker import drain, run_worker
from config.settings import Settings
from tests.conftest import needs_postgres
from tests.factories import inbound

pytestmark = pytest.mark.integration


def explode(reason: str) -> None:
    """A job that always fails, to watch retries and the failed registry."""
    raise RuntimeError(reason)


def test_the_four_named_queues_exist_most_urgent_first(services: Services) -> None:
    assert tuple(services.queues.queues) == QUEUE_NAMES == ("intake", "maintenance", "triage", "notify")


def test_a_swept_message_is_not_queued_twice_while_its_job_is_pending(services: Services) -> None:
    inbound_id = inbound(services, "SXV Yei")
    assert jobs.requeue_processing(services, inbound_id)
    assert not jobs.requeue_processing(services, inbound_id)
    assert services.queues.queues["intake"].count == 1


def test_the_worker_turns_a_queued_message_into_a_report(app: Flask, services: Services) -> None:
    jobs.enqueue_processing(services, inbound(services, "ARM Bor armed men"))
    assert drain(app)
    with services.uow() as uow:
        assert [r.category for r in uow.session.scalars(select(Report))] == ["ARM"]


def test_a_job_that_keeps_failing_lands_in_the_failed_registry(app: Flask, services: Services) -> None:
    services.queues.enqueue("maintenance", explode, "disk on fire", job_id="explode-1")
    drain(app)
    registry = FailedJobRegistry(queue=services.queues.queues["maintenance"])
    assert registry.get_job_ids() == ["explode-1"]
    job = services.queues.queues["maintenance"].fetch_job("explode-1")
    assert job is not None
    result = job.latest_result()
    assert result is not None
    assert "disk on fire" in (result.exc_string or "")


def test_a_failed_job_is_retried_later_with_back_off(
    services: Services, make_app: Callable[[Settings], Flask]
) -> None:
    retrying = make_app(replace(services.settings, job_retry_intervals=(3600,)))
    queues = retrying.extensions["dalili"].queues
    queues.enqueue("maintenance", explode, "try again", job_id="explode-2")
    drain(retrying)
    queue = queues.queues["maintenance"]
    assert ScheduledJobRegistry(queue=queue).get_job_ids() == ["explode-2"]
    assert FailedJobRegistry(queue=queue).count == 0


@needs_postgres
@pytest.mark.parametrize("backend_settings", ["postgres"], indirect=True)
def test_the_production_worker_runs_jobs_in_the_app_context(app: Flask, services: Services) -> None:
    jobs.enqueue_processing(services, inbound(services, "FIG Malakal gunfire"))
    assert run_worker(app, burst=True)
    with services.uow() as uow:
        assert [r.category for r in uow.session.scalars(select(Report))] == ["FIG"]

"""GET /metrics: Prometheus text computed when it is scraped, from RQ's registries and the database.

Nothing in the code counts as it goes: one collector reads the state of the queues and of intake at
scrape time, so several web processes give the same answer and a restart loses nothing. Two Redis
round trips and three indexed queries per scrape (see `DaliliCollector`).

Labels carry queue names and message statuses only — never a number, a reporter key, a message's
words or a user (R27). The figures still reveal volumes, so the endpoint answers only requests made
on this host's loopback that did not come through a proxy on behalf of another address.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from flask import Blueprint, Request, Response, abort, request
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector
from redis.exceptions import RedisError
from rq.job import Job
from rq.utils import str_to_date
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from alerts.models import InboundMessage, utcnow
from alerts.vocabulary import INBOUND_STATUSES
from app import current_services
from app.bootstrap import Services
from app.infra.spool import SPOOL_KEY, UNREADABLE_KEY

logger = logging.getLogger(__name__)

bp = Blueprint("metrics", __name__)

LATENCY_SAMPLE_JOBS = 200
"""Most recent finished jobs per queue whose latency is summarised (RQ keeps them result_ttl, 500 s)."""
LATENCY_QUANTILES = (0.5, 0.95)
INTAKE_WINDOW = timedelta(minutes=5)
FORWARDING_HEADERS = ("X-Forwarded-For", "X-Real-Ip", "Forwarded")
"""Headers by which a proxy on this host says it acts for another address."""


@bp.get("/metrics")
def metrics() -> Response:
    services = current_services()
    token = services.settings.metrics_token
    if token:
        scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(sent.strip().encode(), token.encode()):
            abort(401, "send 'Authorization: Bearer <DALILI_METRICS_TOKEN>'")
    elif not from_loopback(request):
        abort(403, "metrics are served only to this host (or set DALILI_METRICS_TOKEN)")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DaliliCollector(services))
    response = Response(generate_latest(registry), content_type=CONTENT_TYPE_PLAIN_0_0_4)
    response.headers["Cache-Control"] = "no-store"
    return response


def from_loopback(req: Request) -> bool:
    """True when the connection comes from loopback and no proxy forwarded it for someone else.

    The peer is read before ProxyFix rewrote it (a client can send any X-Forwarded-For); every address
    a forwarding header names must be loopback too, so a reverse proxy on this host that passes
    /metrics on for a remote client is refused as long as it says whom it acts for.
    """
    original = req.environ.get("werkzeug.proxy_fix.orig", {})
    addresses = [original.get("REMOTE_ADDR", req.environ.get("REMOTE_ADDR")) or ""]
    for header in FORWARDING_HEADERS:
        for value in req.headers.getlist(header):
            addresses.extend(_forwarded_addresses(header, value))
    return all(_is_loopback(address) for address in addresses)


def _forwarded_addresses(header: str, value: str) -> list[str]:
    if header != "Forwarded":
        return [part for part in (p.strip() for p in value.split(",")) if part] or [value]
    found = []
    for element in value.split(","):
        for pair in element.split(";"):
            key, _, address = pair.partition("=")
            if key.strip().lower() == "for":
                found.append(address)
    return found or [value]  # a Forwarded header without for= is not trusted either


def _is_loopback(address: str) -> bool:
    address = address.strip().strip('"')
    if address.startswith("["):  # [v6]:port
        address = address[1:].partition("]")[0]
    elif address.count(":") == 1:  # v4:port
        address = address.partition(":")[0]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False  # empty (a Unix socket), "unknown", an obfuscated name: not provably local
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped.is_loopback
    return parsed.is_loopback


@dataclass(frozen=True, slots=True)
class QueueFigures:
    name: str
    waiting: int
    started: int
    scheduled: int
    failed: int
    latencies: list[float]
    """Seconds from enqueue to end of the most recent finished jobs, sorted."""


@dataclass(frozen=True, slots=True)
class IntakeFigures:
    by_status: dict[str, int]
    received_recently: int
    oldest_waiting_seconds: float


class DaliliCollector(Collector):
    """Reads queues and intake once per scrape; a dependency that is down gives up=0, never an error.

    Database, three statements on ``inbound_messages``, all served by its index on
    ``(status, received_at)`` (migration 0001):

    - messages by status: ``COUNT(*) … GROUP BY status``, an index-only scan of the whole index, so it
      grows with the table (retention erases content but keeps rows, R31): about 50 ms for 300,000
      messages on PostgreSQL (15 ms on SQLite) and 0.4 s for 3 million on PostgreSQL;
    - received in the last five minutes: ``status IN (…all statuses…) AND received_at >= :since``,
      one index range per status instead of a full scan (no index starts with ``received_at``);
    - oldest message still waiting: ``MIN(received_at) WHERE status = 'received'``, one index seek.

    Redis, two pipelined round trips: LLEN and ZCARD of every queue and registry with ZREVRANGE of the
    finished registries, then HMGET of two timestamps per finished job (no job is unpickled). RQ's
    registry ``count`` is avoided on purpose: its clean-up moves abandoned jobs and must not run
    from a scrape.
    """

    def __init__(self, services: Services) -> None:
        self._services = services

    def collect(self) -> Iterator[Metric]:
        queues = self._queue_figures()
        intake = self._intake_figures()
        up = GaugeMetricFamily(
            "dalili_up", "1 when this scrape could read the component, 0 when not.", labels=["component"]
        )
        up.add_metric(["database"], 0 if intake is None else 1)
        up.add_metric(["redis"], 0 if queues is None else 1)
        yield up
        if queues is not None:
            yield from _queue_families(queues)
        if (spool := self._spool_figures()) is not None:
            yield spool
        if intake is not None:
            yield from _intake_families(intake)

    def _queue_figures(self) -> list[QueueFigures] | None:
        queues = self._services.queues.queues
        connection = self._services.queues.connection
        try:
            with connection.pipeline(transaction=False) as pipe:
                for queue in queues.values():
                    pipe.llen(queue.key)
                    pipe.zcard(queue.started_job_registry.key)
                    pipe.zcard(queue.scheduled_job_registry.key)
                    pipe.zcard(queue.failed_job_registry.key)
                    pipe.zrange(queue.finished_job_registry.key, 0, LATENCY_SAMPLE_JOBS - 1, desc=True)
                replies = pipe.execute()
            finished = {name: replies[5 * i + 4] for i, name in enumerate(queues)}
            with connection.pipeline(transaction=False) as pipe:
                for job_ids in finished.values():
                    for job_id in job_ids:
                        pipe.hmget(Job.key_for(job_id.decode()), "enqueued_at", "ended_at")
                stamps = iter(pipe.execute())
        except RedisError as error:
            logger.warning("metrics: Redis unreadable (%s)", type(error).__name__)
            return None
        return [
            QueueFigures(
                name=name,
                waiting=replies[5 * i],
                started=replies[5 * i + 1],
                scheduled=replies[5 * i + 2],
                failed=replies[5 * i + 3],
                latencies=sorted(_latencies(next(stamps) for _ in finished[name])),
            )
            for i, name in enumerate(queues)
        ]

    def _spool_figures(self) -> Metric | None:
        """Messages taken while the database was down, waiting for the sweep to store them (D15)."""
        try:
            with self._services.queues.connection.pipeline(transaction=False) as pipe:
                pipe.llen(SPOOL_KEY)
                pipe.llen(UNREADABLE_KEY)
                waiting, unreadable = pipe.execute()
        except RedisError:
            return None
        family = GaugeMetricFamily(
            "dalili_spool_messages",
            "Messages acknowledged while the database was down: waiting for the sweep to store them, or "
            "set aside because no vault key opens them.",
            labels=["state"],
        )
        family.add_metric(["waiting"], waiting)
        family.add_metric(["unreadable"], unreadable)
        return family

    def _intake_figures(self) -> IntakeFigures | None:
        now = utcnow()
        try:
            with self._services.engine.connect() as connection:
                by_status = dict.fromkeys(INBOUND_STATUSES, 0)
                counted = select(InboundMessage.status, func.count()).group_by(InboundMessage.status)
                for status, count in connection.execute(counted):
                    by_status[status] = count
                recent = connection.execute(
                    select(func.count()).where(
                        InboundMessage.status.in_(INBOUND_STATUSES),
                        InboundMessage.received_at >= now - INTAKE_WINDOW,
                    )
                ).scalar_one()
                oldest = connection.execute(
                    select(func.min(InboundMessage.received_at)).where(InboundMessage.status == "received")
                ).scalar_one()
        except (DBAPIError, PoolTimeout) as error:
            logger.warning("metrics: database unreadable (%s)", type(error).__name__)
            return None
        waiting = max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
        return IntakeFigures(by_status, recent, waiting)


def _latencies(stamps: Iterable[list[bytes | None]]) -> Iterator[float]:
    for enqueued_at, ended_at in stamps:
        if enqueued_at and ended_at:  # a job expired since the ZRANGE has neither
            seconds = (str_to_date(ended_at) - str_to_date(enqueued_at)).total_seconds()
            yield max(seconds, 0.0)  # clocks of different hosts may disagree a little


def _quantile(ordered: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), on a sorted list."""
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _queue_families(figures: list[QueueFigures]) -> Iterator[Metric]:
    families = {
        "waiting": GaugeMetricFamily("dalili_queue_jobs", "Jobs waiting in the RQ queue.", labels=["queue"]),
        "started": GaugeMetricFamily(
            "dalili_queue_started_jobs", "Jobs a worker is running (RQ started registry).", labels=["queue"]
        ),
        "scheduled": GaugeMetricFamily(
            "dalili_queue_scheduled_jobs",
            "Jobs waiting for a retry or a set time (RQ scheduled registry).",
            labels=["queue"],
        ),
        "failed": GaugeMetricFamily(
            "dalili_queue_failed_jobs",
            "Jobs that failed with no retry left (RQ failed registry; `dalili jobs failed`).",
            labels=["queue"],
        ),
    }
    samples = GaugeMetricFamily(
        "dalili_job_latency_sample_jobs",
        f"Finished jobs behind dalili_job_latency_seconds (the latest, at most {LATENCY_SAMPLE_JOBS}).",
        labels=["queue"],
    )
    # A summary of quantiles over a sliding window, like the Go client's (whose window is 10 min): the
    # finished registry holds each job for result_ttl (500 s), newest first. No _count/_sum and no
    # histogram: those must be counters that only grow, and a window's figures shrink as jobs expire;
    # rebuilt at each scrape they would make rate() and histogram_quantile() lie.
    latency = Metric(
        "dalili_job_latency_seconds",
        "Enqueue to end of the most recent finished jobs (queue wait plus run), as quantiles.",
        "summary",
    )
    for queue in figures:
        for attribute, family in families.items():
            family.add_metric([queue.name], getattr(queue, attribute))
        samples.add_metric([queue.name], len(queue.latencies))
        for q in LATENCY_QUANTILES:
            if queue.latencies:
                latency.add_sample(
                    "dalili_job_latency_seconds",
                    {"queue": queue.name, "quantile": str(q)},
                    _quantile(queue.latencies, q),
                )
    yield from families.values()
    yield latency
    yield samples


def _intake_families(figures: IntakeFigures) -> Iterator[Metric]:
    by_status = GaugeMetricFamily(
        "dalili_inbound_messages", "Stored inbound messages by status.", labels=["status"]
    )
    for status, count in sorted(figures.by_status.items()):
        by_status.add_metric([status], count)
    yield by_status
    window = int(INTAKE_WINDOW.total_seconds())
    yield GaugeMetricFamily(
        "dalili_inbound_received_last_5m",
        "Inbound messages stored in the last five minutes.",
        value=figures.received_recently,
    )
    yield GaugeMetricFamily(
        "dalili_inbound_intake_per_second",
        "Inbound messages stored per second, averaged over the last five minutes.",
        value=figures.received_recently / window,
    )
    yield GaugeMetricFamily(
        "dalili_inbound_oldest_waiting_seconds",
        "Age of the oldest message stored but not yet processed (status received), 0 when none: it "
        "grows when workers are down or behind, or when a job was lost (`dalili jobs sweep`).",
        value=figures.oldest_waiting_seconds,
    )

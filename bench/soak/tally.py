"""What PostgreSQL, Redis and the recorded replies say became of every message the soak sent.

Messages are matched by (provider, provider message id): an SMS is stored under its MessageSid or
AT id, a USSD session under its sessionId and her key (read back from its payload), by the webhook
before it answers.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import psycopg
import redis

from alerts.intake.services import REF_ALPHABET, REF_LENGTH
from bench import common
from bench.soak.traffic import MIX, Answer, Message

FOLLOW_UP_RESPONDER = "soak-all"
"""The catch-all responder of bench/soak/routing.toml: its 'new' alert marks a follow-up that ran."""
QUEUES = ("intake", "triage", "notify", "maintenance")
DRAINED_QUEUES = ("intake", "triage", "notify")
"""Maintenance is left out: the cron scheduler keeps adding to it."""
RECEIPT_REF = re.compile(rf"\bRef ([{REF_ALPHABET}]{{{REF_LENGTH}}})\b")
PERCENTILES = (50, 95, 99)


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """Nearest-rank p50/p95/p99 and the maximum; zeros for no values."""
    ordered = sorted(values)
    if not ordered:
        return {**{f"p{p}": 0.0 for p in PERCENTILES}, "max": 0.0}
    ranks = {f"p{p}": ordered[max(0, -(-p * len(ordered) // 100) - 1)] for p in PERCENTILES}
    return ranks | {"max": ordered[-1]}


def recorded_refs(client: redis.Redis) -> Counter[str]:
    """Receipt codes of every reply the recording senders hold (one entry per send)."""
    refs: Counter[str] = Counter()
    for key in client.scan_iter(match="dalili:recorded:*", count=1000):
        for entry in client.lrange(key, 0, -1):
            if match := RECEIPT_REF.search(json.loads(entry)["text"]):
                refs[match.group(1)] += 1
    return refs


def queue_depths(client: redis.Redis) -> dict[str, dict[str, int]]:
    """Jobs per queue: waiting (queued or dequeued and not yet started), started, scheduled (retries).

    Read from the raw keys: RQ's registry objects clean up expired entries when counted, and the
    soak must not repair what it measures."""
    with client.pipeline(transaction=False) as pipe:
        for name in QUEUES:
            pipe.llen(f"rq:queue:{name}")
            pipe.llen(f"rq:queue:{name}:intermediate")
            pipe.zcard(f"rq:wip:{name}")
            pipe.zcard(f"rq:scheduled:{name}")
        counts = pipe.execute()
    return {
        name: {"waiting": counts[4 * i] + counts[4 * i + 1], "started": counts[4 * i + 2],
               "scheduled": counts[4 * i + 3]}
        for i, name in enumerate(QUEUES)
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Progress:
    stored: int
    waiting: int
    """Stored messages still ``received``: not triaged yet."""
    reports: int
    without_follow_up: int
    jobs: dict[str, dict[str, int]] | None
    """None while Redis does not answer."""

    @property
    def pending_jobs(self) -> int:
        if self.jobs is None:
            return -1
        return sum(sum(self.jobs[name].values()) for name in DRAINED_QUEUES)

    def line(self, elapsed: float) -> str:
        jobs = "Redis down" if self.jobs is None else ", ".join(
            f"{name} {sum(depth.values())}" for name, depth in self.jobs.items()
        )  # fmt: skip
        return (
            f"[drain {elapsed:6.0f} s] stored {self.stored}, still received {self.waiting}, "
            f"reports {self.reports}, without follow-up {self.without_follow_up}; jobs: {jobs}"
        )


def progress(database_url: str, client: redis.Redis) -> Progress:
    with psycopg.connect(common.libpq(database_url)) as conn:
        stored, waiting = _one(
            conn, "SELECT count(*), count(*) FILTER (WHERE status = 'received') FROM inbound_messages"
        )
        reports, without = _one(
            conn,
            "SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM staff_notifications s "
            "WHERE s.incident_id = r.incident_id AND s.event = 'new' AND s.responder = %s)) FROM reports r",
            (FOLLOW_UP_RESPONDER,),
        )
    try:
        jobs: dict[str, dict[str, int]] | None = queue_depths(client)
    except redis.RedisError:
        jobs = None
    return Progress(stored, waiting, reports, without, jobs)


def _one(conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...] = ()) -> tuple[int, ...]:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return tuple(int(value) for value in row)


MESSAGES = """
SELECT m.provider, CASE m.channel WHEN 'ussd' THEN m.payload->>'sessionId' ELSE m.provider_message_id END,
       m.id, m.status, m.error, r.id,
       extract(epoch FROM r.created_at)::float8,
       EXISTS (SELECT 1 FROM staff_notifications s
               WHERE s.incident_id = r.incident_id AND s.event = 'new' AND s.responder = %s),
       o.id, o.status
FROM inbound_messages m
LEFT JOIN reports r ON r.inbound_message_id = m.id
LEFT JOIN outbound_messages o ON o.report_id = r.id AND o.kind = 'receipt'
"""
"""Every stored message with its report, whether its follow-up ran, and its receipt."""
DUPLICATES = {
    "inbound_rows_per_provider_id": "SELECT count(*) FROM (SELECT 1 FROM inbound_messages "
    "GROUP BY provider, provider_message_id HAVING count(*) > 1) d",
    "reports_per_inbound_message": "SELECT count(*) FROM (SELECT 1 FROM reports WHERE inbound_message_id "
    "IS NOT NULL GROUP BY inbound_message_id HAVING count(*) > 1) d",
    "replies_per_report_and_kind": "SELECT count(*) FROM (SELECT 1 FROM outbound_messages "
    "WHERE report_id IS NOT NULL GROUP BY report_id, kind HAVING count(*) > 1) d",
}
"""Each must be 0: the first two are unique constraints, the third the replies' idempotency keys."""
STAFF_ALERTS = "SELECT id, status FROM staff_notifications"
RECEIPTS = "SELECT status, count(*) FROM outbound_messages WHERE kind = 'receipt' GROUP BY status"
PENDING = frozenset({"queued", "started", "scheduled", "deferred"})
"""RQ job statuses that still lead somewhere: a started job whose worker was killed is retried."""


def pending_jobs(client: redis.Redis, job_ids: Sequence[str]) -> set[str]:
    """The job ids among JOB_IDS that RQ still holds in a pending state."""
    with client.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.hget(f"rq:job:{job_id}", "status")
        statuses = pipe.execute()
    return {
        job_id
        for job_id, status in zip(job_ids, statuses, strict=True)
        if status and status.decode() in PENDING
    }


@dataclass(slots=True)
class ChannelCounts:
    """What became of one channel's messages (``all`` for the sum)."""

    generated: int = 0
    sent: int = 0
    """Acknowledged with a 2xx (a USSD session: its END screen) at least once."""
    replayed: int = 0
    stored: int = 0
    stored_unacknowledged: int = 0
    """Stored although no attempt was acknowledged (answered too late, or refused after the commit)."""
    lost: int = 0
    """Sent (acknowledged) but not in inbound_messages."""
    triaged: int = 0
    waiting: int = 0
    """Stored, still ``received``: its job is queued, or the sweeper will queue it again."""
    held: int = 0
    """Stored with another status and no report (``review``: kept for a person)."""
    follow_up_done: int = 0
    follow_up_pending: int = 0
    follow_up_lost: int = 0
    """Reports whose follow-up (corroborate_and_route) never ran and whose job is gone."""
    receipt_sent: int = 0
    receipt_pending: int = 0
    receipt_lost: int = 0
    """Receipts reserved (``accepted``) whose send job is gone: she never gets one."""
    receipt_none: int = 0
    """Reports of a replyable channel without any receipt row (USSD's receipt is its END screen)."""


def tally(
    database_url: str,
    messages: Sequence[Message],
    refs: Counter[str],
    client: redis.Redis,
    *,
    redis_restarted_at: float | None,
) -> dict[str, Any]:
    """Counts per channel, the duplicates, and triage latency (report created - first acknowledged)."""
    with psycopg.connect(common.libpq(database_url)) as conn:
        rows = conn.execute(MESSAGES, (FOLLOW_UP_RESPONDER,)).fetchall()
        duplicates = {name: _one(conn, query)[0] for name, query in DUPLICATES.items()}
        staff_alerts = conn.execute(STAFF_ALERTS).fetchall()
        receipts = {status: n for status, n in conn.execute(RECEIPTS).fetchall()}
    duplicates["replies_sent_twice"] = sum(1 for count in refs.values() if count > 1)
    stored = {(row[0], row[1]): row[2:] for row in rows}
    pending = pending_jobs(
        client,
        [f"follow-up-{row[5]}" for row in rows if row[5] is not None and not row[7]]
        + [f"reply-{row[8]}" for row in rows if row[9] == "accepted"]
        + [f"staff-alert-{alert_id}" for alert_id, status in staff_alerts if status == "pending"],
    )
    alerts = Counter(
        status if status != "pending" else "queued" if f"staff-alert-{alert_id}" in pending else "lost"
        for alert_id, status in staff_alerts
    )
    counts = {channel: ChannelCounts() for channel in (*MIX, "all")}
    latency: dict[str, list[float]] = {channel: [] for channel in (*MIX, "all")}
    held: Counter[str] = Counter()
    lost: list[str] = []
    follow_ups_lost_before_restart = 0
    for message in messages:
        row = stored.get((message.provider, message.message_id))
        tallies = (counts[message.channel], counts["all"])
        sent = message.acknowledged_at is not None
        for c in tallies:
            c.generated += 1
            c.sent += sent
            c.replayed += message.replayed
            c.stored += row is not None
            c.stored_unacknowledged += not sent and row is not None
        if row is None:
            if sent:
                lost.append(f"{message.channel} {message.message_id}")
                for c in tallies:
                    c.lost += 1
            continue
        _, status, error, report_id, created, followed_up, receipt_id, receipt = row
        if report_id is None:
            if status != "received":
                held[f"{status}: {error or '-'}"] += 1
            for c in tallies:
                c.waiting += status == "received"
                c.held += status != "received"
            continue
        follow_up = "done" if followed_up else "pending" if f"follow-up-{report_id}" in pending else "lost"
        if receipt_id is None:
            reply = "none" if message.channel != "ussd" else ""
        elif receipt == "accepted":
            reply = "pending" if f"reply-{receipt_id}" in pending else "lost"
        else:
            reply = "sent"
        for c in tallies:
            c.triaged += 1
            setattr(c, f"follow_up_{follow_up}", getattr(c, f"follow_up_{follow_up}") + 1)
            if reply:
                setattr(c, f"receipt_{reply}", getattr(c, f"receipt_{reply}") + 1)
        if sent:
            latency[message.channel].append(created - message.acknowledged_at)
            latency["all"].append(created - message.acknowledged_at)
        if follow_up == "lost" and redis_restarted_at is not None and created < redis_restarted_at:
            follow_ups_lost_before_restart += 1
    generated = {(m.provider, m.message_id) for m in messages}
    return {
        "channels": {channel: asdict(c) for channel, c in counts.items()},
        "duplicates": duplicates,
        "held_by_status": dict(held.most_common()),
        "follow_ups_lost_of_reports_before_redis_restart": follow_ups_lost_before_restart,
        "lost_examples": lost[:10],
        "stored_not_sent_by_soak": len(stored.keys() - generated),
        "receipts_by_status": receipts,
        "staff_alerts": dict(alerts),  # sent, failed, queued (its job still held by RQ) or lost (job gone)
        "replies_recorded": sum(refs.values()),
        "triage_latency_s": {channel: percentiles(values) for channel, values in latency.items()},
    }


def webhook_latency(answers: Sequence[Answer]) -> dict[str, dict[str, float]]:
    """Milliseconds per route and over all requests, every answer included (timeouts too)."""
    routes = sorted({answer.route for answer in answers})
    table = {route: percentiles([a.latency_ms for a in answers if a.route == route]) for route in routes}
    return table | {"all": percentiles([a.latency_ms for a in answers])}

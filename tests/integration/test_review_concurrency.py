"""Two reviewers acting on the same incidents at the same moment, on PostgreSQL (R26, R30).

Each action is one transaction that locks the incidents it concerns before checking anything, so of
two racing merges (unmerges, dismissals) exactly one is done and the other is refused for what the
first did. Before, each checked in one transaction and acted in another: both passed, and the trail
held two merges of the same incident.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select

from alerts.accounts.users import create_user, viewer_of
from alerts.audit.trail import verify_chain
from alerts.errors import InvalidValue
from alerts.incidents.corroboration import merge_incidents, suggest_duplicates
from alerts.incidents.review import dismiss, merge, unmerge
from alerts.intake.services import incident_of_report
from alerts.messages import Viewer
from alerts.models import AuditEvent, DuplicateSuggestion, IncidentMerge, Report, User
from app.bootstrap import Services
from tests.conftest import needs_postgres
from tests.factories import report

pytestmark = [
    pytest.mark.integration,
    needs_postgres,
    pytest.mark.parametrize("backend_settings", ["postgres"], indirect=True),
]

JUBA = {"lon": 31.58, "lat": 4.85}
NEAR_JUBA = {"lon": 31.60, "lat": 4.86}  # about 2.5 km away: a duplicate suggestion
DONE = "done"


def _reviewer(services: Services, email: str) -> Viewer:
    create_user(email, "triage_reviewer", None, uow=services.uow())
    with services.uow() as uow:
        user = uow.session.scalar(select(User).where(User.email == email))
        assert user is not None
        return viewer_of(uow.session, user)


def _two_incidents(services: Services) -> tuple[int, int]:
    """Two incidents of the same kind 2.5 km apart, the second suggested as a duplicate of the first."""
    first, second = (report(services, "FIG heavy gunfire", content=dict(p)) for p in (JUBA, NEAR_JUBA))
    target, source = (incident_of_report(r, uow=services.uow()) for r in (first, second))
    suggest_duplicates(source, uow=services.uow(), rules=services.cluster_rules)
    return source, target


@contextlib.contextmanager
def _first_writes_meet(engine: Engine) -> Iterator[None]:
    """Hold each of two threads before its first write until both have reached theirs (2 s at most).

    Without locks both have then checked the same state and act on it; with them, the second waits
    on the first's lock instead, and the first goes on alone once the wait times out.
    """
    barrier, held = threading.Barrier(2), set[int]()

    def meet(*args: Any) -> None:
        statement, thread = args[2], threading.get_ident()
        if thread not in held and statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            held.add(thread)
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=2)

    event.listen(engine, "before_cursor_execute", meet)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", meet)


def _race(services: Services, action: Callable[[Viewer], object]) -> list[object]:
    """Run ``action`` as two reviewers at once; each outcome is DONE or the exception raised."""
    reviewers = [_reviewer(services, f"reviewer{n}@example.org") for n in (1, 2)]
    outcomes: list[object] = [None, None]

    def act(n: int) -> None:
        try:
            action(reviewers[n])
            outcomes[n] = DONE
        except Exception as exc:  # reason: the test asserts what each raised
            outcomes[n] = exc

    with _first_writes_meet(services.engine):
        threads = [threading.Thread(target=act, args=(n,)) for n in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    return outcomes


def _events(services: Services, action: str) -> int:
    with services.uow() as uow:
        return int(uow.session.scalar(select(func.count()).where(AuditEvent.action == action)) or 0)


def _one_done_and_one_refused(outcomes: list[object], reason: str) -> None:
    assert outcomes.count(DONE) == 1, outcomes
    [refused] = [o for o in outcomes if o != DONE]
    assert isinstance(refused, InvalidValue), refused
    assert reason in str(refused)


def _chain_intact(services: Services) -> None:
    with services.uow() as uow:
        assert verify_chain(uow.session) is None


def test_of_two_concurrent_merges_of_one_incident_exactly_one_is_done(services: Services) -> None:
    source, target = _two_incidents(services)
    outcomes = _race(services, lambda reviewer: merge(source, target, reviewer, uow=services.uow()))
    _one_done_and_one_refused(outcomes, f"incident {source} is already merged into {target}")
    assert _events(services, "incident.merge") == 1
    with services.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(IncidentMerge)) == 1
        assert set(uow.session.scalars(select(Report.incident_id))) == {target}
    _chain_intact(services)


def test_of_two_concurrent_unmerges_exactly_one_is_done(services: Services) -> None:
    source, target = _two_incidents(services)
    merge_incidents(source, target, actor="reviewer0@example.org", uow=services.uow())
    outcomes = _race(services, lambda reviewer: unmerge(source, reviewer, uow=services.uow()))
    _one_done_and_one_refused(outcomes, f"incident {source} is not merged into another")
    assert _events(services, "incident.unmerge") == 1
    with services.uow() as uow:
        assert set(uow.session.scalars(select(Report.incident_id))) == {source, target}
    _chain_intact(services)


def test_of_two_concurrent_dismissals_of_one_suggestion_exactly_one_is_done(services: Services) -> None:
    source, _ = _two_incidents(services)
    with services.uow() as uow:
        suggestion = uow.session.scalars(select(DuplicateSuggestion.id)).one()
    outcomes = _race(services, lambda reviewer: dismiss(source, suggestion, reviewer, uow=services.uow()))
    _one_done_and_one_refused(outcomes, f"duplicate suggestion {suggestion} is dismissed, not open")
    assert _events(services, "suggestion.dismiss") == 1
    _chain_intact(services)

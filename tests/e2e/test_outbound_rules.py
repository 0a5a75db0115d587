"""R34: no message to a number silent past the window, and never a first contact (DOMAIN.md §6.3 item 8)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from alerts.models import ContactVaultEntry, InboundMessage, Reporter, SentMessage, utcnow
from alerts.reporters.outbound import refusal
from app import jobs
from app.bootstrap import Services
from app.worker import drain
from config.settings import Settings
from tests.e2e.test_channels import key_of, register, replies, sms

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def she_last_wrote(services: Services, days_ago: int) -> None:
    with services.uow() as uow:
        uow.session.execute(
            update(Reporter)
            .where(Reporter.key == key_of(services))
            .values(last_inbound_at=utcnow() - timedelta(days=days_ago))
        )
        uow.commit()


def her_message(services: Services) -> int:
    with services.uow() as uow:
        return uow.session.scalars(select(InboundMessage.id)).one()


def test_a_follow_up_reaches_her_only_within_the_window(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    register(services)
    sms(client, "ARM Bentiu armed men at the market")
    drain(app)
    assert len(replies(services)) == 1  # the receipt
    inbound_id = her_message(services)

    she_last_wrote(services, days_ago=31)  # the default window is 30 days
    with app.app_context():
        jobs.send_follow_ups([inbound_id], "passed_on")
    assert len(replies(services)) == 1
    with services.uow() as uow:
        assert uow.session.scalars(select(SentMessage.kind)).all() == ["receipt"]  # not even reserved

    she_last_wrote(services, days_ago=29)
    with app.app_context():
        jobs.send_follow_ups([inbound_id], "passed_on")
    assert replies(services)[-1].endswith(": passed on.")


def test_no_follow_up_uses_a_vault_entry_past_its_expiry(
    app: Flask, client: FlaskClient, services: Services
) -> None:
    register(services)
    sms(client, "ARM Bentiu armed men at the market")
    drain(app)
    with services.uow() as uow:  # expired an hour ago; the hourly retention run has not deleted it yet
        uow.session.execute(update(ContactVaultEntry).values(expires_at=utcnow() - timedelta(hours=1)))
        uow.commit()
    with app.app_context():
        jobs.send_follow_ups([her_message(services)], "passed_on")
    assert len(replies(services)) == 1
    with services.uow() as uow:
        failed = uow.session.scalars(select(SentMessage).where(SentMessage.kind == "passed_on")).one()
        assert (failed.status, failed.error_code) == ("failed", "no-contact-kept")


def test_the_window_is_the_deployments(
    app: Flask, client: FlaskClient, services: Services, make_app: Callable[[Settings], Flask]
) -> None:
    register(services)
    sms(client, "ARM Bentiu armed men at the market")
    drain(app)
    she_last_wrote(services, days_ago=8)
    strict = make_app(replace(services.settings, silence_window_days=7))
    with strict.app_context():
        jobs.send_follow_ups([her_message(services)], "passed_on")
    assert len(replies(services)) == 1


@pytest.mark.parametrize(
    ("last_inbound_days", "opted_out", "reason"),
    [
        (None, False, "never first contact"),
        (0, True, "she asked for no messages"),
        (31, False, "silent past the window"),
        (29, False, None),
    ],
)
def test_who_may_be_written_to(last_inbound_days: int | None, opted_out: bool, reason: str | None) -> None:
    now = utcnow()
    last = None if last_inbound_days is None else now - timedelta(days=last_inbound_days)
    reporter = Reporter(key="k" * 64, last_inbound_at=last, opted_out=opted_out)
    assert refusal(reporter, now=now) == reason
    assert refusal(None, now=now) == "never first contact"


def functions_calling(folder: str, called: Callable[[ast.Call], bool]) -> dict[str, str]:
    """``path:function`` -> its source, for every function of ``folder`` with a matching call."""
    found = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(call, ast.Call) and called(call) for call in ast.walk(node)
            ):
                found[f"{path.relative_to(ROOT)}:{node.name}"] = ast.unparse(node)
    return found


def test_every_message_to_a_reporter_answers_one_of_hers() -> None:
    """No first contact by construction: one function hands a reporter's message to a sender, its
    callers work from a reserved reply, and only `plan_reply` reserves one, for an inbound message."""
    sends = functions_calling(
        "app",
        lambda c: (
            isinstance(c.func, ast.Attribute) and c.func.attr == "send" and "sender" in ast.unparse(c.func)
        ),
    )
    assert list(sends) == ["app/jobs.py:_deliver"]
    delivering = functions_calling("app", lambda c: ast.unparse(c.func) == "_deliver")
    assert list(delivering) == ["app/jobs.py:send_reply", "app/jobs.py:send_follow_ups"]
    assert "load_reply(" in delivering["app/jobs.py:send_reply"]
    assert "plan_reply(" in delivering["app/jobs.py:send_follow_ups"]
    reserving = functions_calling(
        "alerts", lambda c: ast.unparse(c.func) == "SentMessage"
    ) | functions_calling("app", lambda c: ast.unparse(c.func) == "SentMessage")
    assert list(reserving) == ["alerts/reporters/outbound.py:plan_reply"]

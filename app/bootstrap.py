"""Build the adapters a Dalili process uses, once, from its settings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from alerts.taxonomy import Taxonomy, load_taxonomy
from alerts.unit_of_work import UnitOfWork
from alerts.vault import Vault
from app.database import make_engine, make_session_factory
from app.queueing import JobQueues, connect_redis
from app.senders import build_senders
from channels.base import Sender
from channels.messages import Messages, load_messages
from channels.ussd_menu import Menus, load_menus
from config.settings import Settings
from geo.geocoder import Geocoder, TownGazetteer


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    queues: JobQueues
    taxonomy: Taxonomy
    geocoder: Geocoder
    vault: Vault
    messages: Messages
    """Reporter-facing templates, keywords and the deny-list."""
    menus: Menus
    senders: dict[str, Sender]

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)


def build_services(settings: Settings) -> Services:
    """Connect to the database and the queue named by the settings (nothing at import time)."""
    engine = make_engine(settings.database_url)
    queues = JobQueues(connect_redis(settings.redis_url), settings.job_retry_intervals)
    return Services(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        queues=queues,
        taxonomy=load_taxonomy(),
        geocoder=TownGazetteer(settings.countries),
        vault=Vault(settings.vault_keys),
        messages=load_messages(),
        menus=load_menus(),
        senders=build_senders(settings, queues.connection),
    )

"""Build the adapters a Dalili process uses, once, from its settings."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from alerts.hotspots.rules import DEFAULT_HOTSPOT_RULES, HotspotRules, load_hotspot_rules
from alerts.incidents.clustering import ClusterRules, default_cluster_rules, load_cluster_rules
from alerts.incidents.routing import Routing, load_routing
from alerts.reporters.body_numbers import NumberSeal
from alerts.reporters.vault import Vault
from alerts.triage.classify import Classifier, build_classifier
from alerts.triage.taxonomy import Taxonomy, load_taxonomy
from alerts.unit_of_work import UnitOfWork
from app.infra.database import make_engine, make_session_factory
from app.infra.queueing import JobQueues, connect_redis
from app.infra.senders import build_senders
from channels.base import Sender
from channels.messages import Messages, load_messages
from channels.staff import StaffNotifier, notifiers_from_url
from channels.ussd_menu import Menus, load_menus
from config.settings import Settings
from geo.admin_areas import AdminAreas
from geo.geocoder import GazetteerGeocoder, Resolution
from geo.layers import LayerError
from geo.loading import layer_files, load_layers
from geo.place_search import PlaceSearch
from geo.sites import read_site_layers
from geo.types import AreaAssignment, PlaceOption

logger = logging.getLogger(__name__)


class LazyGeocoder:
    """Loads the deployment's layers on first use: processes that never geocode never pay for it."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._loaded_layers: tuple[GazetteerGeocoder, AdminAreas | None] | None = None
        self._sites: tuple[gpd.GeoDataFrame | None] | None = None
        self._search: PlaceSearch | None = None
        self._lock = threading.Lock()

    def _loaded(self) -> tuple[GazetteerGeocoder, AdminAreas | None]:
        with self._lock:
            if self._loaded_layers is None:
                paths = [Path(path) for path in self._settings.layers]
                gazetteer, locator = load_layers(
                    paths, countries=self._settings.countries, report=logger.info
                )
                self._loaded_layers = GazetteerGeocoder(gazetteer, locator=locator), locator
            return self._loaded_layers

    def resolve(
        self, text: str, country: str | None, *, home_area: str | None = None, network_area: str | None = None
    ) -> Resolution:
        return self._loaded()[0].resolve(text, country, home_area=home_area, network_area=network_area)

    def locate(self, lon: float, lat: float) -> AreaAssignment | None:
        locator = self._loaded()[1]
        return locator.locate(lon, lat) if locator is not None else None

    def search(self, text: str, country: str | None, *, limit: int = 10) -> list[PlaceOption]:
        geocoder, locator = self._loaded()
        index = geocoder.index  # built outside the lock: locating need not wait for it
        with self._lock:
            if self._search is None:  # built on the first search, over the geocoder's own index
                self._search = PlaceSearch(index, locator)
        return self._search.search(text, country, limit=limit)

    def area(self, pcode: str) -> PlaceOption | None:
        locator = self._loaded()[1]
        return locator.area(pcode) if locator is not None else None

    def locate_many(self, lons: Sequence[float], lats: Sequence[float]) -> list[AreaAssignment]:
        locator = self._loaded()[1]
        if locator is None:
            return [AreaAssignment() for _ in lons]
        return locator.locate_many(lons, lats)

    def admin_frame(self, level: int) -> gpd.GeoDataFrame | None:
        locator = self._loaded()[1]
        return locator.frame("admin", level) if locator is not None else None

    def sector_frame(self) -> gpd.GeoDataFrame | None:
        locator = self._loaded()[1]
        return locator.frame("sector") if locator is not None else None

    def site_frame(self) -> gpd.GeoDataFrame | None:
        with self._lock:
            if self._sites is None:
                files = layer_files(Path(path) for path in self._settings.layers)
                try:
                    self._sites = (read_site_layers(files),)
                except (LayerError, OSError, ValueError, RuntimeError) as error:
                    logger.warning("team sites not drawn: %s", error)
                    self._sites = (None,)
            return self._sites[0]


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    queues: JobQueues
    taxonomy: Taxonomy
    classifier: Classifier
    geocoder: LazyGeocoder
    vault: Vault
    messages: Messages
    """Reporter-facing templates, keywords and the deny-list."""
    menus: Menus
    senders: dict[str, Sender]
    routing: Routing
    """Who hears about which incidents (config/routing.toml or DALILI_ROUTING_FILE)."""
    cluster_rules: ClusterRules
    staff_notifiers: dict[str, StaffNotifier]
    """Alerts to responders by kind (email, webhook, sms); recorders where nothing is configured."""
    hotspot_rules: HotspotRules
    """Disclosure per classification, weights and analysis defaults (DALILI_HOTSPOTS_FILE)."""

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    @property
    def number_seal(self) -> NumberSeal:
        """How intake seals the numbers she writes in a message (alerts/reporters/body_numbers.py)."""
        return NumberSeal(self.vault, self.settings.default_country, self.settings.vault_days)


def build_services(settings: Settings) -> Services:
    """Connect to the database and the queue named by the settings (nothing at import time)."""
    engine = make_engine(settings.database_url)
    queues = JobQueues(connect_redis(settings.redis_url), settings.job_retry_intervals)
    taxonomy = load_taxonomy()
    senders = build_senders(settings, queues.connection)
    return Services(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine, audit_key=settings.audit_key),
        queues=queues,
        taxonomy=taxonomy,
        classifier=build_classifier(settings.default_country, taxonomy, settings.countries),
        geocoder=LazyGeocoder(settings),
        vault=Vault(settings.vault_keys),
        messages=load_messages(taxonomy=taxonomy),
        menus=load_menus(),
        senders=senders,
        routing=load_routing(settings.routing_file),
        cluster_rules=(
            load_cluster_rules(Path(settings.clustering_file))
            if settings.clustering_file
            else default_cluster_rules()
        ),
        staff_notifiers=notifiers_from_url(
            settings.smtp_url, settings.staff_webhook_secret, _staff_sms_sender(settings, senders)
        ),
        hotspot_rules=load_hotspot_rules(Path(settings.hotspots_file or DEFAULT_HOTSPOT_RULES)),
    )


def _staff_sms_sender(settings: Settings, senders: dict[str, Sender]) -> Sender | None:
    """Duty phones get SMS through a provider with real credentials; none in development."""
    if settings.at_api_key:
        return senders["africastalking"]
    if settings.twilio_account_sid:
        return senders["twilio"]
    return None

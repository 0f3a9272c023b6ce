"""All configuration, read from the environment (pydantic-settings).

Every variable is `COMPLAINTS_<FIELD>` except the bootstrap servers, which also
answer to the conventional `KAFKA_BOOTSTRAP_SERVERS`. `docs/configuration.md`
lists them; a test keeps that list, docker-compose and this class in step.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
#: Asymmetric JWT algorithms a staff token may use (never `none` nor HMAC).
SigningAlgorithm = Literal["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
DEFAULT_ALGORITHMS: tuple[SigningAlgorithm, ...] = ("RS256", "ES256", "EdDSA")
#: What a projections process does: `auto` (reads, and writes while holding the lease) or `reader` (reads only).
ProjectionsRole = Literal["auto", "reader"]


def default_policy_file() -> Path:
    """deploy/policy.yaml of a checkout, else the copy packaged into the wheel."""
    checkout = ROOT / "deploy" / "policy.yaml"
    if checkout.exists():
        return checkout
    return Path(__file__).resolve().parent / "data" / "policy.yaml"


class WebhookEndpoint(BaseModel):
    """Where the notifier delivers every event, signed per Standard Webhooks with `secret` (`whsec_<base64>`)."""

    name: str = Field(pattern=r"^[A-Za-z0-9._-]{1,40}$")
    url: str = Field(pattern=r"^https?://")
    secret: SecretStr


class Settings(BaseSettings):
    # An empty variable means "not set" (compose passes `${VAR:-}` through as an empty string).
    model_config = SettingsConfigDict(env_prefix="COMPLAINTS_", extra="ignore", env_ignore_empty=True)

    #: `dev` lets services start without real secrets (fixed, public dev values); any other
    #: profile refuses an empty or known-default secret (complaints/pii/secrets.py).
    profile: Literal["production", "dev"] = "production"

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "COMPLAINTS_KAFKA_BOOTSTRAP_SERVERS"),
    )
    broker_profile: Literal["kafka", "tansu"] = "kafka"
    #: Overrides the profile's consumer fetch wait (ms). On a broker that does not wake
    #: fetches on new data (Tansu) a hop costs about half of it; lower is faster but busier.
    fetch_max_wait_ms: int | None = Field(default=None, ge=1, le=30_000)
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = None

    #: Prefixed to every topic name and consumer group; empty in production. Lets several
    #: isolated installations (or test runs) share one Kafka cluster.
    topic_prefix: str = Field(default="", pattern=r"^[A-Za-z0-9._-]*$")

    partitions: int = Field(default=6, ge=1)
    replication_factor: int = Field(default=1, ge=1)

    database_url: str = "sqlite:///var/complaints.db"
    projections_database_url: str = "sqlite:///var/projections.db"
    #: Longest a read with `min_position` waits for the projection to catch up (then 409).
    projections_read_wait_s: float = Field(default=5.0, gt=0, le=60)
    #: Records per fetched batch (= per read-model transaction) of the live projector.
    projections_batch_max: int = Field(default=2000, ge=1)
    #: `auto`: serve reads and project while holding the writer lease (always, on SQLite); `reader`: serve
    #: reads only, never write the read model (another process projects it; docs/projections.md, replicas).
    projections_role: ProjectionsRole = "auto"
    #: Reads one projections process runs at once, in threads (more wait their turn on the event loop);
    #: 0: as many as the read model's database suits (services/projections/tuning.py `read_threads`).
    projections_read_threads: int = Field(default=0, ge=0, le=64)
    #: A consumer loop or timer that makes no progress for longer than this is named by `/health` (503).
    liveness_bound_s: float = Field(default=60.0, gt=0, le=3600)
    vault_url: str = "sqlite:///var/vault.db"
    pii_lookup_secret: SecretStr | None = None
    #: Wraps every customer key in the vault: `<key id>:<base64 of 32 random bytes>`.
    vault_master_key: SecretStr | None = None
    #: Earlier master keys, comma-separated, still accepted to unwrap while `rotate-master-key` runs.
    vault_previous_master_keys: SecretStr | None = None
    customer_history_days: int = Field(default=365, ge=1)

    #: Largest request body any service reads (bytes); larger ones are answered 413.
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=16 * 1024 * 1024)
    #: Complaints accepted per client address (`limits` notation, `;`-separated windows), or `off`.
    intake_rate_limit: str = "10/second;300/minute"

    policy_file: Path = Field(default_factory=lambda: default_policy_file())

    #: Staff identity (complaints/auth, docs/security.md). `oidc`: bearer tokens from the
    #: organisation's identity provider; `dev`: tokens signed with the key `complaints dev` creates.
    auth_mode: Literal["dev", "oidc"] = "dev"
    auth_issuer: str = "complaints-dev"
    auth_audience: str = "complaints"
    #: The provider's JWKS; unset = OIDC discovery at `<issuer>/.well-known/openid-configuration`.
    auth_jwks_url: str | None = None
    auth_algorithms: list[SigningAlgorithm] = Field(default_factory=lambda: list(DEFAULT_ALGORITHMS), min_length=1)
    auth_dev_key_file: Path = Path("var/dev/auth-signing-key.pem")
    #: Who read which case's personal data, when and why (append-only; kept after erasure).
    access_log_url: str = "sqlite:///var/access-log.db"

    host: str = "127.0.0.1"
    api_port: int = 8000
    intake_port: int = 8001
    escalation_port: int = 8002
    recovery_port: int = 8003
    followup_port: int = 8004
    notifier_port: int = 8005
    broker_port: int = 9092
    #: Support API base URL, used in intake's Location header.
    public_api_url: str = "http://127.0.0.1:8000"

    # The notifier (services/notifier): mail, the customer's link, webhooks. `complaints dev` sets the
    # SMTP ones to its local mail sink.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    mail_from: str = "Customer care <care@complaints.example>"
    #: Base URL of the customer page, as the customer's browser reaches it (the links in emails).
    customer_url: str = "http://127.0.0.1:8005"
    customer_link_secret: SecretStr = SecretStr("dev-only-change-me")
    customer_link_days: int = Field(default=30, ge=1, le=365)
    #: JSON list of {"name", "url", "secret"}: every event is delivered to each, signed.
    webhooks: list[WebhookEndpoint] = Field(default_factory=list)
    #: Attempts per message (mail or webhook) before it is dead-lettered, and the first retry pause.
    notify_max_attempts: int = Field(default=8, ge=1, le=50)
    notify_retry_base_s: float = Field(default=2.0, gt=0, le=3600)
    #: Events older than this are folded (ledger, worklist) but cause no message: a fresh notifier
    #: database on an old log (a new installation, a lost database) must not mail the past.
    notify_max_event_age_h: float = Field(default=48.0, gt=0)
    #: Delivered (`sent`) and `skipped` messages are pruned from the deliveries table once this old;
    #: dead ones stay until re-driven. Must exceed `notify_max_event_age_h`: a pruned row was the
    #: message's claim, and only an event too old to be news may come again without one.
    notify_retention_days: float = Field(default=30.0, gt=0, le=3650)
    # Observability (complaints/observability): /metrics, JSON-lines logs, OTLP traces.
    #: `/metrics` and every counter on; off only to measure what they cost (bench).
    metrics_enabled: bool = True
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"
    #: OTLP/HTTP collector base URL (e.g. `http://collector:4318`); empty = no traces exported
    #: (the standard OTEL_EXPORTER_OTLP_ENDPOINT also turns them on).
    otlp_endpoint: str | None = None

    # The staff console (services/console, docs/console.md): a web page over the other services' APIs.
    console_port: int = 8006
    #: Signs the console's session cookie; a fresh one per `complaints dev` run, required outside dev.
    console_session_secret: SecretStr | None = None
    #: The services the console calls with the signed-in member's token (unset: this host's ports above).
    console_projections_url: str | None = None
    console_escalation_url: str | None = None
    console_recovery_url: str | None = None
    console_followup_url: str | None = None
    #: The console as the browser reaches it (the OIDC redirect URI is `<this>/auth/callback`).
    console_public_url: str | None = None
    #: The demo sign-in page (pick a demo member of staff; the console signs a token with the dev key).
    #: Only with `auth_mode=dev`; `complaints dev` turns it on.
    console_demo_signin: bool = False
    #: OIDC client of the console (authorization-code flow with PKCE, issuer `auth_issuer`).
    console_oidc_client_id: str | None = None
    console_oidc_client_secret: SecretStr | None = None
    console_oidc_scope: str = "openid"

    @field_validator("intake_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        """A spec `limits` reads (e.g. `10/second;300/minute`), or `off`."""
        if value.strip().lower() != "off":
            from limits import parse_many

            try:
                parse_many(value)
            except ValueError as exc:
                raise ValueError(f"not a rate limit such as '10/second;300/minute' (or 'off'): {value!r}") from exc
        return value


    @model_validator(mode="after")
    def _retention_outlives_the_news(self) -> Settings:
        if self.notify_retention_days * 24 <= self.notify_max_event_age_h:
            raise ValueError(f"notify_retention_days ({self.notify_retention_days:g}) must be longer than "
                             f"notify_max_event_age_h ({self.notify_max_event_age_h:g} h): a delivered message "
                             "pruned earlier could be sent again when its event is consumed again")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()

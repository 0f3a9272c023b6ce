"""Client settings that must differ between Apache Kafka and the embedded Tansu broker.

This is the only place such differences live; everything else asks the profile.
Facts behind the Tansu values: `shared/notes/tansu.md` (group joins wait about
session_timeout/2, fetches wait their full max wait, no idempotent producer for
aiokafka, end offsets reported too low for multi-record batches).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from complaints.settings import Settings


@dataclass(frozen=True)
class BrokerProfile:
    name: str
    session_timeout_s: float
    heartbeat_interval_s: float
    rebalance_timeout_s: float
    fetch_max_wait_ms: int
    producer_linger_ms: int
    enable_idempotence: bool

    def security(self, settings: Settings) -> dict[str, Any]:
        """SASL/TLS settings passed through to every client (aiokafka names)."""
        out: dict[str, Any] = {"security_protocol": settings.kafka_security_protocol}
        if settings.kafka_sasl_mechanism:
            out["sasl_mechanism"] = settings.kafka_sasl_mechanism
            out["sasl_plain_username"] = settings.kafka_sasl_username
            pw = settings.kafka_sasl_password
            out["sasl_plain_password"] = pw.get_secret_value() if pw else None
        if settings.kafka_ssl_cafile or settings.kafka_security_protocol.endswith("SSL"):
            from aiokafka.helpers import create_ssl_context

            out["ssl_context"] = create_ssl_context(cafile=settings.kafka_ssl_cafile)
        return out

    def aiokafka_producer(self, settings: Settings) -> dict[str, Any]:
        return {
            "bootstrap_servers": settings.kafka_bootstrap_servers,
            "acks": "all",
            "enable_idempotence": self.enable_idempotence,
            "linger_ms": self.producer_linger_ms,
            **self.security(settings),
        }

    def aiokafka_consumer(self, settings: Settings, group_id: str | None) -> dict[str, Any]:
        return {
            "bootstrap_servers": settings.kafka_bootstrap_servers,
            "group_id": group_id,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            "session_timeout_ms": int(self.session_timeout_s * 1000),
            "heartbeat_interval_ms": int(self.heartbeat_interval_s * 1000),
            "rebalance_timeout_ms": int(self.rebalance_timeout_s * 1000),
            "fetch_max_wait_ms": self.fetch_max_wait_ms,
            **self.security(settings),
        }

    def kafka_python_consumer(self, settings: Settings, group_id: str | None) -> dict[str, Any]:
        """kafka-python spells a few settings differently and has no ssl_context factory."""
        out = self.aiokafka_consumer(settings, group_id)
        out.pop("rebalance_timeout_ms")
        out.pop("ssl_context", None)
        if settings.kafka_ssl_cafile:
            out["ssl_cafile"] = settings.kafka_ssl_cafile
        return out

    def faust_settings(self) -> dict[str, Any]:
        return {
            "broker_session_timeout": self.session_timeout_s,
            "broker_heartbeat_interval": self.heartbeat_interval_s,
            "broker_rebalance_timeout": self.rebalance_timeout_s,
            "producer_linger_ms": self.producer_linger_ms,
            "producer_acks": -1,
        }


PROFILES: dict[str, BrokerProfile] = {
    # Apache Kafka: wakes fetches on new data, so a modest max wait costs no latency.
    "kafka": BrokerProfile("kafka", 10.0, 3.0, 20.0, 100, 5, True),
    # Tansu: joins wait ~session_timeout/2, fetches wait their full max wait.
    "tansu": BrokerProfile("tansu", 2.0, 0.5, 2.0, 25, 2, False),
}


def get_profile(settings: Settings) -> BrokerProfile:
    profile = PROFILES[settings.broker_profile]
    if settings.fetch_max_wait_ms is not None:
        profile = replace(profile, fetch_max_wait_ms=settings.fetch_max_wait_ms)
    return profile

"""Create and verify the lifecycle topics (kafka-python admin client).

The four topics keep events forever (`retention.ms=-1`, `cleanup.policy=delete`):
they are the system of record. Each has a `<topic>.dlq` twin for records a
consumer could not process. Partition counts cannot change later without
re-keying history, so they are fixed at creation (`COMPLAINTS_PARTITIONS`).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any

from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from complaints.settings import Settings
from schemas.events import TOPICS

TOPIC_CONFIG: dict[str, str] = {"retention.ms": "-1", "cleanup.policy": "delete"}


def dlq(topic: str) -> str:
    return f"{topic}.dlq"


def all_topics() -> list[str]:
    """The topic names of the contract (without any installation prefix)."""
    return [*TOPICS, *(dlq(t) for t in TOPICS)]


def topic_name(settings: Settings, topic: str) -> str:
    """The name on the broker: `COMPLAINTS_TOPIC_PREFIX` + the contract name (no prefix by default)."""
    return f"{settings.topic_prefix}{topic}"


@dataclass(frozen=True)
class TopicStatus:
    name: str
    partitions: int | None
    config: dict[str, str]
    problems: tuple[str, ...]


def admin_kwargs(settings: Settings) -> dict[str, Any]:
    out: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
        "request_timeout_ms": 15000,
    }
    if settings.kafka_sasl_mechanism:
        out["sasl_mechanism"] = settings.kafka_sasl_mechanism
        out["sasl_plain_username"] = settings.kafka_sasl_username
        pw = settings.kafka_sasl_password
        out["sasl_plain_password"] = pw.get_secret_value() if pw else None
    if settings.kafka_ssl_cafile:
        out["ssl_cafile"] = settings.kafka_ssl_cafile
    return out


def connect_admin(settings: Settings, timeout: float = 30.0) -> KafkaAdminClient:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return KafkaAdminClient(**admin_kwargs(settings))
        except KafkaError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def ensure_topics(settings: Settings, topics: list[str] | None = None) -> list[str]:
    """Create missing topics; returns the names created. Existing ones are left alone."""
    names = [topic_name(settings, t) for t in topics or all_topics()]
    admin = connect_admin(settings)
    try:
        existing = set(admin.list_topics())
        missing = [n for n in names if n not in existing]
        if missing:
            new = [
                NewTopic(n, settings.partitions, settings.replication_factor, topic_configs=dict(TOPIC_CONFIG))
                for n in missing
            ]
            with contextlib.suppress(TopicAlreadyExistsError):  # another process was first
                admin.create_topics(new, timeout_ms=15000)
        return missing
    finally:
        admin.close()


def verify_topics(settings: Settings, topics: list[str] | None = None) -> list[TopicStatus]:
    """Report each topic's partitions and config, with any deviation from the contract."""
    names = [topic_name(settings, t) for t in topics or all_topics()]
    admin = connect_admin(settings)
    try:
        described = {d["name"]: d for d in admin.describe_topics(names) if not d.get("error_code")}
        present = [n for n in names if n in described]
        reported: dict[str, Any] = {}
        if present:
            resources = [ConfigResource(ConfigResourceType.TOPIC, n) for n in present]
            reported = admin.describe_configs(resources).get("topic", {})
        configs = {n: {str(k): str(v) for k, v in (reported.get(n) or {}).items()} for n in present}
        out = []
        for n in names:
            if n not in described:
                out.append(TopicStatus(n, None, {}, ("missing",)))
                continue
            parts = len(described[n]["partitions"])
            cfg = configs.get(n, {})
            # Some brokers (the embedded one) store configs but do not describe them:
            # only a reported value that differs is a problem.
            problems = [f"{k}={cfg[k]!r}, expected {v!r}" for k, v in TOPIC_CONFIG.items() if k in cfg and cfg[k] != v]
            if parts != settings.partitions:
                problems.append(f"{parts} partitions, expected {settings.partitions}")
            out.append(TopicStatus(n, parts, cfg, tuple(problems)))
        return out
    finally:
        admin.close()

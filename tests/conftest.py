"""Shared fixtures: the broker (external, testcontainers Kafka or embedded Tansu) and settings.

Broker choice, in order: `KAFKA_BOOTSTRAP_SERVERS` if set (must be a throwaway
broker: tests create the topics and write to them); a testcontainers Apache
Kafka when a Docker engine answers; otherwise a fresh embedded Tansu per test
(it starts in ~0.1 s, so every test gets an empty log).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from complaints.auth.tokens import create_dev_key
from complaints.broker.embedded import free_port, start_broker
from complaints.settings import Settings
from complaints.topics import ensure_topics


@dataclass(frozen=True)
class Broker:
    bootstrap: str
    profile: str  # "kafka" or "tansu"
    kind: str  # "external", "testcontainers" or "embedded"


def _docker_engine_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def _apache_kafka_container() -> Iterator[str]:
    """The official apache/kafka image, KRaft single node, auto-create off (as in docker-compose)."""
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    port = free_port()
    container = DockerContainer("apache/kafka:3.9.1").with_bind_ports(9092, port)
    for key, value in {
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": "PLAINTEXT://:9092,CONTROLLER://:9093",
        "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://127.0.0.1:{port}",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
        "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
    }.items():
        container = container.with_env(key, value)
    with container:
        wait_for_logs(container, "Kafka Server started", timeout=120)
        yield f"127.0.0.1:{port}"


@pytest.fixture(scope="session")
def shared_broker() -> Iterator[Broker | None]:
    """An external or container broker for the whole session; None means use embedded per test."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield Broker(external, os.environ.get("COMPLAINTS_BROKER_PROFILE", "kafka"), "external")
        return
    if _docker_engine_answers():
        with _apache_kafka_container() as bootstrap:
            yield Broker(bootstrap, "kafka", "testcontainers")
        return
    yield None


def _own_broker(shared: Broker | None) -> Iterator[Broker]:
    if shared is not None:
        yield shared
        return
    embedded = start_broker()
    try:
        yield Broker(embedded.bootstrap, "tansu", "embedded")
    finally:
        embedded.stop()


def make_settings(broker: Broker, folder: Path) -> Settings:
    """Settings for a broker and a folder of SQLite files, with the topics created.

    A shared broker (external or container) gets a unique topic prefix per call, so every
    test sees empty topics and its own consumer groups, exactly as on a fresh embedded broker.
    """
    prefix = "" if broker.kind == "embedded" else f"t{uuid.uuid4().hex[:10]}."
    s = Settings(
        topic_prefix=prefix,
        kafka_bootstrap_servers=broker.bootstrap,
        broker_profile=broker.profile,  # type: ignore[arg-type]
        database_url=f"sqlite:///{folder}/complaints.db",
        projections_database_url=f"sqlite:///{folder}/projections.db",
        vault_url=f"sqlite:///{folder}/vault.db",
        pii_lookup_secret="test-secret",  # type: ignore[arg-type]
        access_log_url=f"sqlite:///{folder}/access-log.db",
        auth_dev_key_file=create_dev_key(folder / "auth-signing-key.pem"),  # tests.tokens signs with it
    )
    ensure_topics(s)
    return s


@pytest.fixture
def broker(shared_broker: Broker | None) -> Iterator[Broker]:
    """A broker for one test (a fresh embedded one unless a shared broker is configured)."""
    yield from _own_broker(shared_broker)


@pytest.fixture(scope="module")
def module_broker(shared_broker: Broker | None) -> Iterator[Broker]:
    """A broker for a whole test module (for tests that share a running stack)."""
    yield from _own_broker(shared_broker)


@pytest.fixture
def settings(broker: Broker, tmp_path: Path) -> Settings:
    """Settings for one test: its broker, its own SQLite files, topics created."""
    return make_settings(broker, tmp_path)


@pytest.fixture(scope="module")
def module_settings(module_broker: Broker, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(module_broker, tmp_path_factory.mktemp("module"))


PG_URL = os.environ.get("COMPLAINTS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_problem() -> str | None:
    from complaints.db import unreachable

    problem = unreachable(PG_URL)
    return f"no PostgreSQL answers at {PG_URL}: {problem}" if problem else None


def require_postgres() -> None:
    """Skip when no PostgreSQL answers on a developer's machine; fail instead under CI."""
    problem = _postgres_problem()
    if problem and os.environ.get("CI"):
        pytest.fail(f"{problem} — CI must provide PostgreSQL")
    if problem:
        pytest.skip(problem)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database: a SQLite file, then a PostgreSQL schema of its own (dropped afterwards).

    The PostgreSQL variant is skipped only when no PostgreSQL answers, and fails instead under CI.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db')}/test.db"
        return
    require_postgres()
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

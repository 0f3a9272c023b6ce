"""Every Kafka client gets the same security and bootstrap settings from one configuration."""

from __future__ import annotations

import faust
import pytest

from complaints.broker.profile import PROFILES, get_profile
from complaints.settings import Settings
from complaints.worker.faust_app import create_faust_app


def sasl_settings() -> Settings:
    return Settings(kafka_bootstrap_servers="k1:9093,k2:9093", kafka_security_protocol="SASL_SSL",
                    kafka_sasl_mechanism="SCRAM-SHA-512", kafka_sasl_username="svc",
                    kafka_sasl_password="s3cret")  # type: ignore[arg-type]


def test_aiokafka_clients_get_sasl_and_tls() -> None:
    kwargs = get_profile(sasl_settings()).aiokafka_producer(sasl_settings())
    assert kwargs["security_protocol"] == "SASL_SSL" and kwargs["sasl_mechanism"] == "SCRAM-SHA-512"
    assert kwargs["sasl_plain_username"] == "svc" and kwargs["sasl_plain_password"] == "s3cret"
    assert kwargs["ssl_context"] is not None and kwargs["acks"] == "all"


def test_faust_workers_get_the_same_credentials_and_every_bootstrap_server() -> None:
    app = create_faust_app("complaints-test", sasl_settings())
    creds = app.conf.broker_credentials
    assert isinstance(creds, faust.SASLCredentials)
    assert creds.username == "svc" and creds.password == "s3cret" and creds.ssl_context is not None
    assert [str(u) for u in app.conf.broker] == ["kafka://k1:9093", "kafka://k2:9093"]


def test_profiles_differ_only_where_the_embedded_broker_needs_it() -> None:
    kafka, tansu = PROFILES["kafka"], PROFILES["tansu"]
    assert kafka.enable_idempotence and not tansu.enable_idempotence
    assert tansu.session_timeout_s < kafka.session_timeout_s
    assert tansu.fetch_max_wait_ms < 100
    plain = Settings()
    assert "sasl_mechanism" not in kafka.aiokafka_consumer(plain, "g")


def test_the_fetch_wait_can_be_tuned_without_touching_the_other_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPLAINTS_BROKER_PROFILE", "tansu")
    assert get_profile(Settings()).aiokafka_consumer(Settings(), "g")["fetch_max_wait_ms"] == 25
    monkeypatch.setenv("COMPLAINTS_FETCH_MAX_WAIT_MS", "60")
    tuned = get_profile(Settings())
    assert tuned.aiokafka_consumer(Settings(), "g")["fetch_max_wait_ms"] == 60
    assert tuned.session_timeout_s == PROFILES["tansu"].session_timeout_s  # the rest of the profile stays
    assert PROFILES["tansu"].fetch_max_wait_ms == 25  # the shared profile itself is not changed

"""Topics as the contract says, and the operator CLI against a real broker."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from fastapi.testclient import TestClient

from complaints.settings import Settings
from complaints.topics import all_topics, ensure_topics, verify_topics
from services.intake.app import create_app


def cli(settings: Settings, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
           "COMPLAINTS_BROKER_PROFILE": settings.broker_profile, "COMPLAINTS_PARTITIONS": str(settings.partitions),
           "COMPLAINTS_TOPIC_PREFIX": settings.topic_prefix,
           "COMPLAINTS_PROJECTIONS_DATABASE_URL": settings.projections_database_url}
    return subprocess.run([sys.executable, "-m", "complaints.cli", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_four_topics_and_their_dead_letter_twins_exist_with_the_configured_partitions(settings: Settings) -> None:
    statuses = {s.name.removeprefix(settings.topic_prefix): s for s in verify_topics(settings)}
    assert set(statuses) == {"ComplaintReceived", "Escalated", "RecoveryOffered", "FollowedUp",
                             "ComplaintReceived.dlq", "Escalated.dlq", "RecoveryOffered.dlq", "FollowedUp.dlq"}
    assert all(s.partitions == 6 and not s.problems for s in statuses.values())
    assert ensure_topics(settings) == []  # idempotent: nothing left to create


def test_verify_reports_a_partition_mismatch(settings: Settings) -> None:
    wrong = settings.model_copy(update={"partitions": 3})
    result = cli(wrong, "topics", "verify")
    assert result.returncode == 1
    assert "6 partitions, expected 3" in result.stdout
    assert len(all_topics()) == 8


def test_topics_create_then_verify_from_the_cli(settings: Settings) -> None:
    created = cli(settings, "topics", "create")
    assert created.returncode == 0 and "already exist" in created.stdout
    assert cli(settings, "topics", "verify").returncode == 0


def test_tail_shows_a_posted_complaint_as_a_readable_event(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        reply = client.post("/complaints", json={"channel": "email", "customer": {"email": "b@example.com"},
                                                 "description": "My refund never arrived"})
    complaint_id = reply.json()["complaint_id"]
    result = cli(settings, "tail", "ComplaintReceived", "--no-follow")
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    assert "complaints.ComplaintReceived.v3" in line and f"complaint={complaint_id}" in line
    assert '"category": "billing"' in line and "b@example.com" not in line


def test_replay_rebuilds_the_read_model_from_the_log_and_reports_its_rate(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        for n in range(3):
            assert client.post("/complaints", json={"channel": "web", "customer": {"id": f"r{n}"},
                                                    "description": "Checkout hangs"}).status_code == 202
    result = cli(settings, "replay")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout.strip().splitlines()[-1])
    assert stats["events"] == 3 and stats["events_per_s"] > 0

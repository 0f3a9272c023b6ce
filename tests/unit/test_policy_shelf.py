"""A new policy version is taken up by running services without a restart, at its `effective_from` instant."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from complaints.domain.policy import load_policy
from complaints.domain.policy_book import UnknownPolicyVersion, publish
from complaints.policy_shelf import PolicyShelf

ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    shutil.copy(ROOT / "deploy" / "policy.yaml", path)
    publish(path)
    return path


def candidate(policy_file: Path, name: str = "next.yaml") -> Path:
    data = yaml.safe_load(policy_file.read_text())
    data.update(version="2026.2", effective_from=AT.isoformat())
    data["sla"]["public_max"] = "30m"
    path = policy_file.parent / name
    path.write_text(yaml.safe_dump(data))
    return path


def test_services_take_up_a_published_version_at_its_instant_without_restarting(policy_file: Path) -> None:
    clock = [0.0]
    intake, escalation = (PolicyShelf(policy_file, every_s=1.0, clock=lambda: clock[0]) for _ in range(2))
    current = load_policy(policy_file)
    kept = publish(candidate(policy_file))  # published ahead of its effective_from, while both run
    clock[0] += 1.0
    for shelf in (intake, escalation):
        assert shelf.in_force(AT - timedelta(microseconds=1)).policy_id == current.policy_id
        assert shelf.in_force(AT).policy_id == kept.stem  # both switch at the same instant
        assert shelf.get(kept.stem).version == "2026.2"


def test_a_version_published_a_moment_ago_is_found_not_refused(policy_file: Path) -> None:
    shelf = PolicyShelf(policy_file, every_s=3600.0, clock=lambda: 0.0)  # would not look again for an hour
    with pytest.raises(UnknownPolicyVersion):
        shelf.get("2026.2@000000000000")
    kept = publish(candidate(policy_file))
    assert shelf.get(kept.stem).policy_id == kept.stem  # a miss re-reads the folder at once


def test_a_broken_publication_keeps_the_last_good_policies(policy_file: Path, caplog: pytest.LogCaptureFixture,
                                                           ) -> None:
    clock = [0.0]
    shelf = PolicyShelf(policy_file, every_s=1.0, clock=lambda: clock[0])
    before = set(shelf.book().kept)
    (policy_file.parent / "policies" / "2026.2@ffffffffffff.yaml").write_text("version: [not, a, policy]\n")
    clock[0] += 1.0
    assert set(shelf.book().kept) == before
    assert "cannot be read; keeping the last good ones" in caplog.text

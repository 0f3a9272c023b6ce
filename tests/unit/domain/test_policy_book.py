"""Issue 18 item 1: content-addressed policy versions, kept; each case decided under the policy it was
received under; a service that does not hold that version refuses instead of guessing."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from complaints.domain import Policy, escalation, parse_policy, recovery
from complaints.domain.intake import build_received
from complaints.domain.policy import PolicyError
from complaints.domain.policy_book import PolicyBook, UnknownPolicyVersion, kept_dir, load_book, publish
from complaints.worker.decider import LifecycleDecider
from schemas.common import Sealed
from schemas.events import ComplaintReceived, Escalated, RecoveryOffered
from tests.unit.domain.conftest import DEFAULT_POLICY, FAST_POLICY
from tests.unit.domain.helpers import T0

SEALED = Sealed(key_ref="cust-1", nonce="bm9uY2U", ciphertext="c2VhbGVk")


def variant(**changes: Any) -> Policy:
    """The default policy with some keys changed (same `version` label: only the hash tells them apart)."""
    data = yaml.safe_load(DEFAULT_POLICY.read_text())
    for dotted, value in changes.items():
        node = data
        *path, last = dotted.split("__")
        for key in path:
            node = node[key]
        node[last] = value
    return parse_policy(data)


def arrive(policy: Policy, **fields: Any) -> ComplaintReceived:
    values: dict[str, Any] = dict(complaint_id="c-1", channel="chat", customer_ref="cust-1", personal=SEALED,
                                  description="I was charged twice", category=None, severity="high", public=False,
                                  wants_human=False, order_ref=None, amount_at_stake=None, occurred_at=None,
                                  received_at=T0, prior_complaints=0)
    return build_received(**{**values, **fields}, policy=policy)


def test_the_id_is_the_content_hash_not_the_label(policy: Policy) -> None:
    same = parse_policy(yaml.safe_load(DEFAULT_POLICY.read_text()))
    assert same.policy_id == policy.policy_id and policy.policy_id.startswith(f"{policy.version}@")
    edited = variant(sla__public_max="2h")
    assert edited.version == policy.version and edited.policy_id != policy.policy_id


@pytest.mark.parametrize("path", [DEFAULT_POLICY, FAST_POLICY], ids=["deploy", "fast"])
def test_every_shipped_policy_is_kept_under_its_id(path: Path) -> None:
    book = load_book(path)
    assert (kept_dir(path) / f"{book.configured.policy_id}.yaml").is_file(), "run `complaints policy publish`"
    assert set(book.kept) >= {book.configured.policy_id}


def test_a_kept_file_edited_after_publishing_is_refused(tmp_path: Path) -> None:
    shutil.copy(DEFAULT_POLICY, tmp_path / "policy.yaml")
    kept = publish(tmp_path / "policy.yaml")
    assert kept == tmp_path / "policies" / f"{load_book(tmp_path / 'policy.yaml').configured.policy_id}.yaml"
    kept.write_text(kept.read_text().replace("public_max: 1h", "public_max: 2h"))
    with pytest.raises(PolicyError, match="named by its id"):
        load_book(tmp_path / "policy.yaml")


def test_mixed_versions_are_refused_loudly(policy: Policy) -> None:
    v2 = variant(sla__first_response__chat={"default": "20m"})
    received = arrive(v2)  # intake runs v2
    old_recovery = LifecycleDecider(policy, recovery.react, book=PolicyBook.of(policy))  # holds only v1
    with pytest.raises(UnknownPolicyVersion, match=f"policy {v2.policy_id}, which this service does not hold"):
        old_recovery.consume(None, received, "r-1", T0, T0)


def test_services_on_different_configured_files_decide_a_case_under_its_own_version(policy: Policy) -> None:
    """The issue's incident: escalation on v1, recovery on v2. Both now hold both and act under the case's."""
    v2 = variant(triage__rules=[{"name": "all-to-supervisor", "level": "supervisor", "reason": "v2 says so."}])
    received = arrive(v2, severity="low", category="wrong_order", amount_at_stake=None)
    esc = LifecycleDecider(policy, escalation.react, escalation.on_tick, escalation.next_due,
                           book=PolicyBook.of(policy, v2))
    rec = LifecycleDecider(v2, recovery.react, book=PolicyBook.of(v2, policy))
    [escalated] = esc.consume(None, received, "r-1", T0, T0).emits
    assert isinstance(escalated.event, Escalated) and escalated.event.policy_version == v2.policy_id
    state = rec.consume(None, received, "r-1", T0, T0).state
    [offer] = rec.consume(state, escalated.event, escalated.event_id, T0, T0).emits
    assert isinstance(offer.event, RecoveryOffered)
    assert (offer.event.level, offer.event.policy_version) == ("supervisor", v2.policy_id)


def test_a_version_takes_effect_at_its_instant_for_every_service(policy: Policy) -> None:
    at = T0 + timedelta(hours=1)
    v2 = variant(effective_from=at.isoformat(), sla__first_response__chat={"default": "20m"})
    book = PolicyBook.of(policy, v2)  # published ahead of time into every service's folder
    assert book.in_force(at - timedelta(microseconds=1)) is policy
    assert book.in_force(at) is v2 and book.in_force(at + timedelta(days=1)) is v2
    before = arrive(book.in_force(T0), received_at=T0)
    after = arrive(book.in_force(at), received_at=at, complaint_id="c-2")
    assert (before.policy_version, after.policy_version) == (policy.policy_id, v2.policy_id)
    assert after.first_response_due_at == at + timedelta(minutes=20)
    for service in (LifecycleDecider(policy, book=book), LifecycleDecider(v2, book=book)):
        state = service.consume(None, after, "r-2", at, at).state
        assert service.policy_for(state) is v2  # whichever file it was started with


def test_the_id_ignores_layout_and_comments(policy: Policy) -> None:
    data = yaml.safe_load(DEFAULT_POLICY.read_text())
    reordered = dict(reversed(list(data.items())))  # another key order, no comments, another layout
    assert parse_policy(yaml.safe_load(yaml.safe_dump(reordered, sort_keys=False))).policy_id == policy.policy_id

"""After erasure, what the customer says can no longer be stored: a clear 410, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from complaints.pii import Vault
from complaints.settings import Settings
from schemas.events import ComplaintReceived
from tests.integration.lifecycle.story import Case
from tests.stack import Stack

SANDWICH = {"channel": "in_person", "customer": {"email": "erased@example.com"},
            "description": "I got the wrong sandwich.", "amount_at_stake": {"amount": "8.50", "currency": "USD"}}


@pytest.fixture
def stack(settings: Settings, tmp_path: Path) -> Iterator[Stack]:
    running = Stack(settings, tmp_path)
    try:
        yield running.start("intake", "recovery", "followup")
    finally:
        running.stop()


def test_a_comment_for_an_erased_customer_is_410_and_the_answer_without_it_is_recorded(stack: Stack) -> None:
    case = Case.post(stack, **SANDWICH)
    received, _offer = case.wait_for("ComplaintReceived", "RecoveryOffered")
    assert isinstance(received.event, ComplaintReceived)
    assert Vault.from_settings(stack.settings).erase(received.event.customer_ref)

    refused = case.follow_up(satisfied=True, csat=4, comment="Thanks, all good now")
    assert refused.status_code == 410, refused.text
    assert "personal data was erased" in refused.json()["detail"]
    assert "without the comment" in refused.json()["detail"]
    assert case.types() == ["ComplaintReceived", "RecoveryOffered"]  # nothing published

    accepted = case.follow_up(satisfied=True, csat=4)
    assert accepted.status_code == 202, accepted.text
    case.wait_for("ComplaintReceived", "RecoveryOffered", "FollowedUp")

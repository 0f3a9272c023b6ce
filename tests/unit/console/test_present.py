"""What the console's pages say: SLA countdowns, queue order, the fair-remedy proposal and authority."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from complaints.domain.policy import Policy, load_policy
from services.console.present import cost_series, countdown, propose, queue_order, sla_bars

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(ROOT / "deploy" / "policy.yaml")


def sandwich(amount: str = "8.50", episode: int = 1) -> dict[str, object]:
    """A case view as the projections API answers it (JSON values)."""
    return {"complaint_id": "c-1", "channel": "in_person", "category": "wrong_order", "severity": "low",
            "public": False, "wants_human": False, "customer_ref": "cust-1", "order_ref": None,
            "amount_at_stake": {"amount": amount, "currency": "USD"}, "prior_complaints": 0,
            "received_at": NOW.isoformat(), "policy_version": None, "first_response_due_at": None,
            "episode": episode, "status": "received", "timeline": [], "offers": []}


def test_countdown_words_the_sla() -> None:
    due = (NOW + timedelta(minutes=42)).isoformat()
    assert countdown({"due_at": due, "awaiting_response": True}, NOW).text == "due in 42 min"
    assert countdown({"due_at": due, "awaiting_response": True}, NOW).tone == "ok"
    soon = countdown({"due_at": (NOW + timedelta(minutes=5)).isoformat(), "awaiting_response": True}, NOW)
    assert soon.tone == "soon"
    late = countdown({"due_at": (NOW - timedelta(hours=1, minutes=5)).isoformat(), "breached": True,
                      "awaiting_response": True}, NOW)
    assert (late.text, late.tone) == ("SLA breached by 1 h 05 min", "breached")
    assert countdown({"due_at": due, "responded_at": NOW.isoformat()}, NOW).text == "answered"
    assert countdown({"due_at": due, "breached": True, "responded_at": NOW.isoformat()}, NOW).text == \
        "answered (SLA breached earlier)"


def test_queue_puts_breached_then_public_first_keeping_the_urgency_order() -> None:
    items = [{"complaint_id": "a", "sla": {}, "public": False}, {"complaint_id": "b", "sla": {}, "public": True},
             {"complaint_id": "c", "sla": {"breached": True}, "public": False},
             {"complaint_id": "d", "sla": {}, "public": False}]
    assert [c["complaint_id"] for c in queue_order(items)] == ["c", "b", "a", "d"]


def test_the_proposal_is_the_policy_fair_remedy_within_the_front_lines_authority(policy: Policy) -> None:
    proposal = propose(sandwich(), policy, "front_line")
    assert proposal is not None
    assert [r.type for r in proposal.remedies] == ["apology", "replacement", "free_product"]
    assert str(proposal.total.amount) == "13.50"
    assert proposal.within and proposal.escalate_to is None
    assert proposal.limit is not None and proposal.words.startswith("Within your authority (USD")


def test_above_my_authority_the_proposal_names_the_level_that_can(policy: Policy) -> None:
    proposal = propose(sandwich("60.00"), policy, "front_line")
    assert proposal is not None and not proposal.within
    assert proposal.escalate_to == "supervisor"
    assert "a supervisor can make it" in proposal.words
    assert propose(sandwich("60.00"), policy, "supervisor").within  # type: ignore[union-attr]


def test_no_proposal_for_a_case_without_its_intake_facts(policy: Policy) -> None:
    assert propose({"complaint_id": "c-2", "episode": 1}, policy, "front_line") is None


def test_charts_scale_to_the_data() -> None:
    bars = sla_bars({"sla_by_channel": {"social": {"met": 3, "breached": 1, "attainment": 0.75}}})
    assert [(b.label, b.value) for b in bars] == [("social", 0.75)]
    assert "75 %" in bars[0].text
    cost, currency = cost_series([("Mon", {"recovery_cost": {"USD": {"total": "10.00"}}}),
                                  ("Tue", {"recovery_cost": {"USD": {"total": "40.00"}, "EUR": {"total": "1.00"}}}),
                                  ("Wed", {})])
    assert currency == "USD"
    assert [b.value for b in cost] == [0.25, 1.0, 0.0]
    assert cost[1].text == "USD 40.00"

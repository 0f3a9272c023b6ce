"""What support agents do over HTTP: escalate, make offers within authority, record follow-ups."""

from __future__ import annotations

import httpx

from schemas.events import Escalated, RecoveryOffered
from tests.integration.lifecycle.story import Case
from tests.stack import Stack
from tests.tokens import bearer

SANDWICH = dict(channel="in_person", customer={"email": "agent-tests@example.com"},
                description="I got the wrong sandwich", amount_at_stake={"amount": "8.50", "currency": "USD"})


def test_agent_escalates_with_a_reason_and_a_retry_publishes_nothing_new(stack: Stack) -> None:
    case = Case.post(stack, **SANDWICH)
    case.wait_for("ComplaintReceived", "RecoveryOffered")
    url = f"{stack['escalation'].url}/complaints/{case.complaint_id}/escalate"
    body = {"reason": "Customer is a regular and very upset"}
    headers = {"Idempotency-Key": "esc-1", **bearer(stack.settings, "agent-7")}
    first = httpx.post(url, json=body, headers=headers, timeout=10)
    retry = httpx.post(url, json=body, headers=headers, timeout=10)
    assert first.status_code == retry.status_code == 202, first.text
    assert first.json()["events"] == retry.json()["events"]
    events = case.wait_for("ComplaintReceived", "RecoveryOffered", "Escalated", "RecoveryOffered")
    escalated = events[2].event
    assert isinstance(escalated, Escalated)
    assert escalated.reason == "manual" and escalated.requested_by == "agent-7"
    assert escalated.level == "supervisor" and any("very upset" in r for r in escalated.reasons)
    assert events[2].id == first.json()["events"][0]


def test_escalating_down_or_unknown_cases_is_refused_clearly(stack: Stack) -> None:
    case = Case.post(stack, **{**SANDWICH, "customer": {"email": "down@example.com"}})
    case.wait_for("ComplaintReceived", "RecoveryOffered")
    base = stack["escalation"].url
    agent = bearer(stack.settings, "a")
    down = httpx.post(f"{base}/complaints/{case.complaint_id}/escalate",  # the target is never the body's
                      json={"reason": "r", "level": "front_line"}, headers=agent, timeout=10)
    assert down.status_code == 422 and down.json()["errors"][0]["field"] == "level"
    missing = httpx.post(f"{base}/complaints/nope/escalate", json={"reason": "r"}, headers=agent, timeout=10)
    assert missing.status_code == 404
    bad = httpx.post(f"{base}/complaints/{case.complaint_id}/escalate", json={}, headers=agent, timeout=10)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "reason"


def test_agent_offer_above_authority_is_refused_and_within_authority_supersedes(stack: Stack) -> None:
    case = Case.post(stack, **{**SANDWICH, "customer": {"email": "offer@example.com"}})
    _, auto = case.wait_for("ComplaintReceived", "RecoveryOffered")
    url = f"{stack['recovery'].url}/complaints/{case.complaint_id}/offers"
    agent = bearer(stack.settings, "agent-3", level="front_line")
    too_much = {"remedies": [{"type": "refund", "amount": {"amount": "400.00", "currency": "USD"},
                              "description": "Full refund of everything"}]}
    refused = httpx.post(url, json=too_much, headers=agent, timeout=10)
    assert refused.status_code == 403, refused.text
    assert "25.00" in refused.json()["detail"]["message"]  # the front line's limit is named

    fair = {**too_much, "remedies": [{"type": "account_credit", "amount": {"amount": "15.00", "currency": "USD"},
                                      "description": "A credit for the trouble"}]}
    accepted = httpx.post(url, json=fair, headers=agent, timeout=10)
    assert accepted.status_code == 202, accepted.text
    *_, manual = case.wait_for("ComplaintReceived", "RecoveryOffered", "RecoveryOffered")
    offer = manual.event
    assert isinstance(offer, RecoveryOffered) and isinstance(auto.event, RecoveryOffered)
    assert offer.offered_by == "agent-3" and offer.supersedes == auto.event.offer_id
    assert offer.total.amount <= offer.authority_limit.amount


def test_follow_up_answers_are_validated(stack: Stack) -> None:
    case = Case.post(stack, **{**SANDWICH, "customer": {"email": "csat@example.com"}})
    case.wait_for("ComplaintReceived", "RecoveryOffered")
    bad = case.follow_up(satisfied=True, csat=7)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "csat"
    unknown = httpx.post(f"{stack['followup'].url}/complaints/unknown/follow-up",
                         json={"satisfied": True, "csat": 3}, headers=bearer(stack.settings), timeout=10)
    assert unknown.status_code == 404
    assert case.types() == ["ComplaintReceived", "RecoveryOffered"]  # refusals published nothing

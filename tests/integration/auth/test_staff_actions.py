"""Authority from identity, on the running stack: the token's level, departments and id decide and go on the log."""

from __future__ import annotations

import httpx

from schemas.events import Escalated, FollowedUp, RecoveryOffered
from tests.integration.auth.conftest import complain, wait_events
from tests.kafka_helpers import case_events
from tests.stack import Stack
from tests.tokens import bearer

SANDWICH = dict(channel="in_person", customer={"email": "staff-actions@example.com", "name": "Ana"},
                description="I got the wrong sandwich", amount_at_stake={"amount": "8.50", "currency": "USD"})
NINE_THOUSAND = [{"type": "refund", "amount": {"amount": "9000", "currency": "USD"}, "description": "Refund"}]


def test_mallorys_9000_usd_executive_offer_is_refused(stack: Stack) -> None:
    cid, _ = complain(stack, **SANDWICH)
    wait_events(stack.settings, cid, "ComplaintReceived", "RecoveryOffered")
    url = f"{stack['recovery'].url}/complaints/{cid}/offers"
    mallory = bearer(stack.settings, "mallory", level="front_line")
    # The request: level and actor in the body. Refused, not silently ignored.
    claimed = httpx.post(url, json={"level": "executive", "agent": "mallory", "remedies": NINE_THOUSAND},
                         headers=mallory, timeout=10)
    assert claimed.status_code == 422, claimed.text
    assert {e["field"] for e in claimed.json()["errors"]} == {"level", "agent"}
    # Without a token at all: 401.
    assert httpx.post(url, json={"remedies": NINE_THOUSAND}, timeout=10).status_code == 401
    # With her own (front-line) authority: 403 naming the limit and the level that could make it.
    refused = httpx.post(url, json={"remedies": NINE_THOUSAND}, headers=mallory, timeout=10)
    assert refused.status_code == 403, refused.text
    detail = refused.json()["detail"]
    assert "USD 25.00" in detail["message"] and "executive" in detail["message"]
    assert detail["limit"] == {"amount": "25.00", "currency": "USD"} and detail["could_be_made_by"] == "executive"
    offers = [e.event for e in case_events(stack.settings, cid) if isinstance(e.event, RecoveryOffered)]
    assert [o.offered_by for o in offers] == ["policy"]  # only the automatic one: nothing of mallory's


def test_a_front_line_offer_within_limits_lands_as_the_tokens_sub(stack: Stack) -> None:
    cid, _ = complain(stack, **{**SANDWICH, "customer": {"email": "within@example.com"}})
    wait_events(stack.settings, cid, "ComplaintReceived", "RecoveryOffered")
    credit = [{"type": "account_credit", "amount": {"amount": "15.00", "currency": "USD"}, "description": "Credit"}]
    reply = httpx.post(f"{stack['recovery'].url}/complaints/{cid}/offers", json={"remedies": credit},
                       headers=bearer(stack.settings, "ana-fl", level="front_line"), timeout=10)
    assert reply.status_code == 202, reply.text
    *_, manual = wait_events(stack.settings, cid, "ComplaintReceived", "RecoveryOffered", "RecoveryOffered")
    assert isinstance(manual.event, RecoveryOffered)
    assert manual.event.offered_by == "ana-fl" and manual.event.level == "front_line"
    assert any("Offered by ana-fl" in r for r in manual.event.reasons)


def test_escalation_and_follow_up_record_the_verified_staff_id(stack: Stack) -> None:
    cid, _ = complain(stack, **{**SANDWICH, "customer": {"email": "esc-fu@example.com"}})
    wait_events(stack.settings, cid, "ComplaintReceived", "RecoveryOffered")
    esc = httpx.post(f"{stack['escalation'].url}/complaints/{cid}/escalate", json={"reason": "Regular, upset"},
                     headers=bearer(stack.settings, "bo-fl"), timeout=10)
    assert esc.status_code == 202, esc.text
    events = wait_events(stack.settings, cid, "ComplaintReceived", "RecoveryOffered", "Escalated", "RecoveryOffered")
    escalated = events[2].event
    assert isinstance(escalated, Escalated) and escalated.requested_by == "bo-fl" and escalated.level == "supervisor"
    # The case is now a supervisor's: the front line can no longer act on it.
    url = f"{stack['followup'].url}/complaints/{cid}/follow-up"
    answer = {"satisfied": True, "csat": 5}
    below = httpx.post(url, json=answer, headers=bearer(stack.settings, "bo-fl"), timeout=10)
    assert below.status_code == 403 and "supervisor" in below.json()["detail"]["message"]
    done = httpx.post(url, json=answer, headers=bearer(stack.settings, "sam-sup", level="supervisor"), timeout=10)
    assert done.status_code == 202, done.text
    *_, followed = wait_events(stack.settings, cid, "ComplaintReceived", "RecoveryOffered", "Escalated",
                               "RecoveryOffered", "FollowedUp")
    assert isinstance(followed.event, FollowedUp) and followed.event.recorded_by == "sam-sup"


def test_a_departments_case_needs_a_token_of_that_department(stack: Stack) -> None:
    cid, _ = complain(stack, channel="web", customer={"email": "privacy@example.com"}, category="privacy",
                      description="You shared my data")
    *_, escalated = wait_events(stack.settings, cid, "ComplaintReceived", "Escalated")
    assert isinstance(escalated.event, Escalated) and escalated.event.department == "privacy_legal"
    url = f"{stack['recovery'].url}/complaints/{cid}/offers"
    apology = {"remedies": [{"type": "apology", "description": "We are sorry"}]}
    finance = httpx.post(url, json=apology, headers=bearer(stack.settings, "fin-1", level="department",
                                                           departments=["finance"]), timeout=10)
    assert finance.status_code == 403 and "privacy legal department" in finance.json()["detail"]["message"]
    privacy = httpx.post(url, json=apology, headers=bearer(stack.settings, "priv-1", level="department",
                                                           departments=["privacy_legal"]), timeout=10)
    assert privacy.status_code == 202, privacy.text
    *_, offered = wait_events(stack.settings, cid, "ComplaintReceived", "Escalated", "RecoveryOffered")
    assert isinstance(offered.event, RecoveryOffered) and offered.event.offered_by == "priv-1"


def test_integration_tokens_read_cases_without_any_customer_reference(stack: Stack) -> None:
    cid, position = complain(stack, **{**SANDWICH, "customer": {"email": "integration@example.com"}})
    base = stack["projections"].url
    machine = bearer(stack.settings, "crm-sync", roles=["integration"])
    view = httpx.get(f"{base}/complaints/{cid}", params={"min_position": position}, headers=machine, timeout=15)
    assert view.status_code == 200, view.text
    assert view.json()["customer_ref"] is None
    assert all("customer_ref" not in t["essentials"] for t in view.json()["timeline"])
    agent_view = httpx.get(f"{base}/complaints/{cid}", headers=bearer(stack.settings), timeout=10).json()
    assert agent_view["customer_ref"].startswith("cust_")
    history = httpx.get(f"{base}/complaints", params={"customer": agent_view["customer_ref"]}, headers=machine,
                        timeout=10)
    assert history.status_code == 403
    queue = httpx.get(f"{base}/complaints", headers=machine, timeout=10).json()
    assert queue["items"] and all(i["customer_ref"] is None for i in queue["items"])
    acting = httpx.post(f"{stack['recovery'].url}/complaints/{cid}/offers", headers=machine, timeout=10,
                        json={"remedies": [{"type": "apology", "description": "Sorry"}]})
    assert acting.status_code == 403

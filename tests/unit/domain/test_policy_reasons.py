"""Issue 18 item 6: every decision explains itself — intake's classification (now part of the versioned
policy), keeping a case at the front line, and the automatic no-response."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from complaints.domain import Policy, followup, parse_policy
from complaints.domain.intake import build_received
from schemas.common import Sealed
from schemas.events import ComplaintReceived, FollowedUp
from schemas.registry import parse_event
from tests.unit.domain.conftest import DEFAULT_POLICY
from tests.unit.domain.helpers import T0, Lifecycle, usd

SEALED = Sealed(key_ref="cust-1", nonce="bm9uY2U", ciphertext="c2VhbGVk")


def received(policy: Policy, description: str, **fields: Any) -> ComplaintReceived:
    values: dict[str, Any] = dict(complaint_id="c-1", channel="web", customer_ref="cust-1", personal=SEALED,
                                  description=description, category=None, severity=None, public=False,
                                  wants_human=False, order_ref=None, amount_at_stake=None, occurred_at=None,
                                  received_at=T0, prior_complaints=0)
    return build_received(**{**values, **fields}, policy=policy)


def test_intake_says_why_it_classified_and_under_which_policy(policy: Policy) -> None:
    event = received(policy, "My parcel is three weeks late", amount_at_stake=usd("150"))
    assert (event.category, event.severity) == ("delivery", "medium")
    assert event.policy_version == policy.policy_id
    assert event.reasons[0] == 'Classified as delivery: the description mentions "parcel".'
    assert "100 or more at stake" in event.reasons[1]


def test_what_the_customer_said_is_not_reclassified(policy: Policy) -> None:
    event = received(policy, "My parcel is late", category="billing", severity="high")
    assert (event.category, event.category_source, event.severity) == ("billing", "customer", "high")
    assert not any(r.startswith("Classified") for r in event.reasons)


def test_the_classification_words_are_policy_and_change_its_id(policy: Policy) -> None:
    import yaml

    data = yaml.safe_load(DEFAULT_POLICY.read_text())
    data["intake"]["categories"] = [{"category": "wait_time", "words": ["parcel"]}, *data["intake"]["categories"]]
    candidate = parse_policy(data)
    assert candidate.version == policy.version and candidate.policy_id != policy.policy_id  # content-addressed
    assert received(candidate, "My parcel is late").category == "wait_time"
    assert received(policy, "My parcel is late").category == "delivery"


def test_a_public_complaint_kept_at_the_front_line_says_so_on_the_log(policy: Policy) -> None:
    event = received(policy, "Your staff ignored me", channel="social", public=True)
    owner = next(r for r in event.reasons if r.startswith("Triage under policy"))
    assert owner == (f"Triage under policy {policy.policy_id}: the front line owns the case; "
                     "first response due by 2025-03-14 13:00:00 UTC.")
    assert any("A public complaint: the front line answers it personally" in r for r in event.reasons)
    assert event.first_response_due_at == T0 + timedelta(hours=1)  # social, public: at most 1h


def test_the_automatic_no_response_carries_its_reasons(policy: Policy) -> None:
    case = Lifecycle(policy)
    case.receive(received(policy, "I got the wrong sandwich", channel="in_person", amount_at_stake=usd("8.50")))
    offer = case.state("followup").open_offer
    assert offer is not None
    [emit] = followup.on_tick(case.state("followup"), policy, offer.respond_by)
    closed = emit.event
    assert isinstance(closed, FollowedUp) and (closed.outcome, closed.recorded_by) == ("no_response", "policy")
    assert "No answer from the customer by" in closed.reasons[0] and "3d" in closed.reasons[0]
    assert "flagged" in closed.reasons[1] and closed.policy_version == policy.policy_id


def test_v1_records_are_upcast_to_v2_with_nothing_invented(policy: Policy) -> None:
    v2 = received(policy, "I got the wrong sandwich")
    v1 = v2.model_dump(mode="json", exclude={"policy_version", "reasons", "first_response_due_at"})
    old = parse_event("complaints.ComplaintReceived.v1", v1)
    assert isinstance(old, ComplaintReceived)
    assert (old.policy_version, old.reasons, old.first_response_due_at) == (None, (), None)
    assert old.category == v2.category
    follow = {"complaint_id": "c-1", "offer_id": "o-1", "outcome": "no_response", "episode": 1,
              "policy_version": "2025.1", "recorded_by": "policy"}
    upcast = parse_event("complaints.FollowedUp.v1", follow)
    assert isinstance(upcast, FollowedUp) and upcast.reasons == ()

"""The customer's answers through their link: accept, decline (= an unhappy follow-up), the follow-up."""

from __future__ import annotations

from datetime import timedelta

import pytest

from complaints.domain import CaseClosed, Emit, NoOpenOffer, Policy, customer
from complaints.domain.customer import AlreadyAnswered
from complaints.ids import deterministic_id
from schemas.common import LEVELS
from schemas.events import Escalated, FollowedUp, OfferAccepted, OfferDeclined, RecoveryOffered
from tests.unit.domain.helpers import T0, Lifecycle, complaint

LIFECYCLE = (Escalated, RecoveryOffered, FollowedUp)


def publish(case: Lifecycle, emits: list[Emit]) -> None:
    """The lifecycle workers read only the lifecycle's types (they skip the customer's answers)."""
    case.publish([e for e in emits if isinstance(e.event, LIFECYCLE)], T0 + timedelta(minutes=1))


def test_a_decline_escalates_one_level_and_brings_a_new_offer(policy: Policy) -> None:
    case = Lifecycle(policy)
    case.receive(complaint())
    first = case.last(RecoveryOffered)
    emits = customer.decline(case.states["followup"], offer_id=first.offer_id, answered=None, comment=None,
                             policy=policy, now=T0)
    declined, unhappy = (e.event for e in emits)
    assert isinstance(declined, OfferDeclined) and declined.offer_id == first.offer_id
    assert isinstance(unhappy, FollowedUp)
    assert (unhappy.outcome, unhappy.recorded_by, unhappy.offer_id) == ("unsatisfied", "customer", first.offer_id)
    publish(case, emits)
    raised = case.last(Escalated)
    assert LEVELS.index(raised.level) == LEVELS.index(first.level) + 1
    second = case.last(RecoveryOffered)
    assert second.offer_id != first.offer_id and second.level == raised.level and second.episode == 2


def test_accept_is_one_event_per_offer_and_keeps_the_follow_up_to_come(policy: Policy) -> None:
    case = Lifecycle(policy)
    case.receive(complaint())
    offer = case.last(RecoveryOffered)
    state = case.states["followup"]
    [emit] = customer.accept(state, offer_id=offer.offer_id, answered=None)
    assert emit.event == OfferAccepted(complaint_id="case-1", offer_id=offer.offer_id, episode=1,
                                       recorded_by="customer")
    assert emit.event_id == deterministic_id("OfferAccepted", offer.offer_id)
    assert customer.accept(state, offer_id=offer.offer_id, answered="accepted") == [emit]  # a second click
    with pytest.raises(AlreadyAnswered):
        customer.decline(state, offer_id=offer.offer_id, answered="accepted", comment=None, policy=policy, now=T0)
    with pytest.raises(AlreadyAnswered):
        customer.accept(state, offer_id=offer.offer_id, answered="declined")
    with pytest.raises(NoOpenOffer, match="no longer open"):
        customer.accept(state, offer_id="another-offer", answered=None)


def test_the_follow_up_question_waits_for_its_time_then_closes_the_case(policy: Policy) -> None:
    case = Lifecycle(policy)
    case.receive(complaint())
    offer = case.last(RecoveryOffered)
    state = case.states["followup"]
    early = offer.follow_up_at - timedelta(seconds=1)
    assert customer.follow_up_due(state, early) is None
    with pytest.raises(NoOpenOffer, match="a little later"):
        customer.answer_follow_up(state, satisfied=True, csat=5, comment=None, policy=policy, now=early)
    assert customer.follow_up_due(state, offer.follow_up_at) is not None
    emits = customer.answer_follow_up(state, satisfied=True, csat=5, comment=None, policy=policy,
                                      now=offer.follow_up_at)
    [answered] = [e.event for e in emits]
    assert isinstance(answered, FollowedUp) and (answered.outcome, answered.recorded_by) == ("satisfied", "customer")
    publish(case, emits)
    assert case.state("followup").closed
    with pytest.raises(CaseClosed):
        customer.accept(case.states["followup"], offer_id=offer.offer_id, answered=None)

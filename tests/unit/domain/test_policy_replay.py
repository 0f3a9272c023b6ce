"""Issue 18 item 2: deadlines are facts. The first-response due time is on the log from intake on, so a
replay after a policy change leaves past SLA results unchanged (in the read model and in the workers)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import yaml

from complaints.domain import Policy, escalation, evolve, parse_policy
from complaints.domain.intake import build_received
from complaints.readmodel.fold import effective_sla, fold
from schemas.common import Money
from schemas.events import ComplaintReceived, RecoveryOffered, Remedy
from schemas.registry import parse_event
from tests.unit.domain.conftest import DEFAULT_POLICY
from tests.unit.readmodel.factory import T0, Ev, H, M, sealed

USD = "USD"


def stricter() -> Policy:
    """Tomorrow's policy: web complaints answered in 2h instead of 4h, public ones in 30m instead of 1h."""
    data = yaml.safe_load(DEFAULT_POLICY.read_text())
    data["sla"]["first_response"]["web"] = {"default": "2h"}
    data["sla"]["public_max"] = "30m"
    return parse_policy(data)


def arrive(policy: Policy, cid: str) -> ComplaintReceived:
    fields: dict[str, Any] = dict(complaint_id=cid, channel="web", customer_ref="cust-1", personal=sealed("cust-1"),
                                  description="My parcel was late", category="wait_time", severity="low",
                                  public=True, wants_human=False, order_ref=None, amount_at_stake=None,
                                  occurred_at=None, received_at=T0, prior_complaints=0)
    return build_received(**fields, policy=policy)


def offer(cid: str) -> RecoveryOffered:
    coupon = Money(amount=Decimal("5.00"), currency=USD)
    return RecoveryOffered(complaint_id=cid, offer_id=f"{cid}-o1", remedies=(Remedy(type="coupon", amount=coupon,
                           description="A coupon."),), total=coupon, apology="Sorry.", level="front_line",
                           authority_limit=Money(amount=Decimal("25"), currency=USD), offered_by="agent-1",
                           reasons=("r",), follow_up_at=T0 + 4 * H, respond_by=T0 + 80 * H, episode=1,
                           policy_version="p")


def test_replay_under_a_changed_policy_keeps_past_sla_results(policy: Policy) -> None:
    today, tomorrow = policy, stricter()
    answered = [Ev(arrive(today, "c-answered"), T0, "e1"), Ev(offer("c-answered"), T0 + 45 * M, "e2")]
    waiting = [Ev(arrive(today, "c-waiting"), T0, "e3")]
    public_max = today.sla.public_max
    assert public_max is not None
    for events in (answered, waiting):
        live, _ = fold([(e.envelope(), f"T:0:{i}") for i, e in enumerate(events)], today.first_response_sla)
        replayed, _ = fold([(e.envelope(), f"T:0:{i}") for i, e in enumerate(events)], tomorrow.first_response_sla)
        assert live is not None and replayed == live  # same case, to the field, whichever policy is loaded now
        assert replayed.sla.due_at == T0 + public_max  # public web under today's policy: 1h, not 30m
    case, _ = fold([(e.envelope(), f"T:0:{i}") for i, e in enumerate(answered)], tomorrow.first_response_sla)
    assert case is not None and case.first_response_sla_met and not case.sla.breached  # answered in 45m of 1h
    case, _ = fold([(e.envelope(), f"T:0:{i}") for i, e in enumerate(waiting)], tomorrow.first_response_sla)
    assert case is not None and not effective_sla(case, T0 + 59 * M).breached


def test_the_workers_timer_keeps_the_recorded_due_time(policy: Policy) -> None:
    received = arrive(policy, "c-1").model_copy(update={"public": False, "first_response_due_at": T0 + 4 * H})
    state = evolve(None, received, "e1", T0)
    assert escalation.next_due(state, stricter()) == T0 + 4 * H  # not T0 + 2h: the deadline was set at intake
    assert escalation.on_tick(state, stricter(), T0 + 3 * H) == []


def test_v1_records_without_a_due_time_fall_back_to_the_policy_in_hand(policy: Policy) -> None:
    v1 = arrive(policy, "c-old").model_dump(mode="json", exclude={"policy_version", "reasons",
                                                                  "first_response_due_at"})
    old = parse_event("complaints.ComplaintReceived.v1", {**v1, "public": False})
    case, _ = fold([(Ev(old, T0, "e1").envelope(), "T:0:0")], stricter().first_response_sla)
    assert case is not None and case.sla.due_at == T0 + 2 * H  # nothing recorded: computed (documented limit)

"""The resolution SLA in the case view (issue 18 item 3): recorded at intake, counted in business time,
paused while an offer awaits the customer's answer, resumed at the answer; a replay after a policy
change leaves past results as they were (the target is a fact on the log)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import yaml

from complaints.domain import Policy, parse_policy
from complaints.domain.intake import build_received
from complaints.domain.policy import PolicyError
from complaints.envelope import decode, encode
from complaints.readmodel.fold import effective_sla, fold
from complaints.readmodel.model import Case
from schemas.common import Money
from schemas.events import ComplaintReceived, FollowedUp, RecoveryOffered, Remedy
from schemas.registry import parse_event
from tests.unit.domain.conftest import DEFAULT_POLICY
from tests.unit.readmodel.factory import D, Ev, H, sealed

MON = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # Monday 15:00, London (GMT)
TUE, WED = MON.replace(day=3), MON.replace(day=4)


def office_policy(**resolution: Any) -> Policy:
    """Web complaints on London office hours (Mon-Fri 09:00-17:00), resolved within 8 business hours."""
    data = yaml.safe_load(DEFAULT_POLICY.read_text())
    data["calendars"] = {"office": {"time_zone": "Europe/London",
                                    "hours": {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}}}
    data["sla"]["calendar_by_channel"] = {"web": "office"}
    data["sla"]["resolution"] = {"by_channel": {"web": "8h"}, "pause_while_awaiting_customer": True, **resolution}
    return parse_policy(data)


def arrive(policy: Policy, cid: str = "c-1", **fields: Any) -> ComplaintReceived:
    values: dict[str, Any] = dict(complaint_id=cid, channel="web", customer_ref="cust-1", personal=sealed("cust-1"),
                                  description="My parcel was late", category="wait_time", severity="low",
                                  public=False, wants_human=False, order_ref=None, amount_at_stake=None,
                                  occurred_at=None, received_at=MON, prior_complaints=0)
    return build_received(**{**values, **fields}, policy=policy)


def offer(cid: str, oid: str) -> RecoveryOffered:
    coupon = Money(amount=Decimal("5.00"), currency="USD")
    return RecoveryOffered(complaint_id=cid, offer_id=oid, remedies=(Remedy(type="coupon", amount=coupon,
                           description="A coupon."),), total=coupon, apology="Sorry.", level="front_line",
                           authority_limit=Money(amount=Decimal("25"), currency="USD"), offered_by="agent-1",
                           reasons=("r",), follow_up_at=MON + 4 * H, respond_by=MON + 80 * H, episode=1,
                           policy_version="p")


def answer(cid: str, oid: str, outcome: str) -> FollowedUp:
    return FollowedUp(complaint_id=cid, offer_id=oid, outcome=outcome, satisfied=outcome == "satisfied",
                      episode=1, policy_version="p", recorded_by="customer")


def case_of(*events: Ev) -> Case:
    case, _ = fold([(e.envelope(), f"T:0:{i}") for i, e in enumerate(events)])
    assert case is not None
    return case


def test_intake_records_the_target_with_its_business_hours_and_the_level_before_the_channel() -> None:
    policy = office_policy(by_level={"department": "3d"})
    target = arrive(policy).resolution_target
    assert target is not None and target.allowed == 8 * H and target.pause_while_awaiting_customer
    assert target.calendar is not None and target.calendar.time_zone == "Europe/London"
    privacy = arrive(policy, category="privacy", severity="critical").resolution_target  # triage: privacy department
    assert privacy is not None and privacy.allowed == 3 * D
    assert arrive(office_policy(by_channel={"email": "1d"})).resolution_target is None  # none for web: no target


def test_paused_while_the_offer_awaits_the_customer_and_resumed_at_the_answer_across_closing_time() -> None:
    received = arrive(office_policy())
    start = case_of(Ev(received, MON, "e1"))
    # 8 business hours from Monday 15:00: 2 h on Monday, 6 h on Tuesday from 09:00
    assert (start.sla.resolution_due, start.sla.resolution_paused) == (TUE.replace(hour=15), False)
    made = Ev(offer("c-1", "o1"), MON + H, "e2")  # Monday 16:00: 1 h used
    waiting = case_of(Ev(received, MON, "e1"), made)
    assert (waiting.status, waiting.sla.resolution_due, waiting.sla.resolution_paused) == (
        "recovery_offered", None, True)
    assert not effective_sla(waiting, WED.replace(hour=16)).resolution_breached, "no clock runs while paused"
    # the customer declines Tuesday 11:00 (the case reopens): 7 h left from then, due Wednesday 10:00
    declined = Ev(answer("c-1", "o1", "unsatisfied"), TUE.replace(hour=11), "e3")
    reopened = case_of(Ev(received, MON, "e1"), made, declined)
    assert (reopened.sla.resolution_due, reopened.sla.resolution_paused) == (WED.replace(hour=10), False)
    assert not effective_sla(reopened, WED.replace(hour=9, minute=59)).resolution_breached
    assert effective_sla(reopened, WED.replace(hour=10)).resolution_breached


def test_a_case_resolved_after_its_due_time_is_breached_for_good() -> None:
    received = arrive(office_policy(pause_while_awaiting_customer=False))
    late = case_of(Ev(received, MON, "e1"), Ev(offer("c-1", "o1"), MON + H, "e2"),
                   Ev(answer("c-1", "o1", "satisfied"), TUE.replace(hour=16), "e3"))  # without the pause: due 15:00
    assert (late.status, late.sla.resolution_due, late.sla.resolution_breached) == (
        "closed", TUE.replace(hour=15), True)
    kept = arrive(office_policy())  # the same answer with the pause: 1 h used by the offer, done in time
    in_time = case_of(Ev(kept, MON, "e1"), Ev(offer("c-1", "o1"), MON + H, "e2"),
                      Ev(answer("c-1", "o1", "satisfied"), TUE.replace(hour=16), "e3"))
    assert (in_time.status, in_time.sla.resolution_breached) == ("closed", False)


def test_replay_after_a_policy_change_leaves_past_resolution_results_unchanged() -> None:
    today = office_policy()
    tomorrow = office_policy(by_channel={"web": "2h"}, pause_while_awaiting_customer=False)
    events = [Ev(arrive(today), MON, "e1"), Ev(offer("c-1", "o1"), MON + H, "e2"),
              Ev(answer("c-1", "o1", "satisfied"), TUE.replace(hour=16), "e3")]
    pairs = [(e.envelope(), f"T:0:{i}") for i, e in enumerate(events)]
    live, _ = fold(pairs, today.first_response_sla)
    replayed, _ = fold(pairs, tomorrow.first_response_sla)
    assert live is not None and replayed == live and not replayed.sla.resolution_breached
    recomputed = arrive(tomorrow).resolution_target  # what today's reading of tomorrow's policy would give
    assert recomputed is not None and recomputed.allowed == 2 * H and not recomputed.pause_while_awaiting_customer


def test_a_v2_record_has_no_resolution_target_rather_than_todays() -> None:
    received = arrive(office_policy())
    payload = received.model_dump(mode="json", exclude={"resolution_target"})
    old = parse_event("complaints.ComplaintReceived.v2", payload)
    assert isinstance(old, ComplaintReceived) and old.resolution_target is None
    case = case_of(Ev(old, MON, "e1"))
    assert (case.sla.resolution_due, case.sla.resolution_breached, case.sla.resolution_paused) == (None, False, False)


def test_the_target_survives_the_topic_on_the_wall_clock_and_on_a_calendar() -> None:
    wall = parse_policy({**yaml.safe_load(DEFAULT_POLICY.read_text())})  # the default policy: no calendars
    for policy in (wall, office_policy()):
        received = arrive(policy)
        assert received.resolution_target is not None
        record = encode(received, event_id="e-1", source="tests", time=MON)
        assert decode(record.headers, record.value).event == received


def test_a_policy_with_an_endless_time_to_resolve_is_refused_naming_the_key() -> None:
    data = yaml.safe_load(DEFAULT_POLICY.read_text())
    data["sla"]["resolution"] = {"by_channel": {"web": "4000d"}}
    with pytest.raises(PolicyError, match=r"sla\.resolution: by_channel\.web: 4000d is not a time to resolve in"):
        parse_policy(data)

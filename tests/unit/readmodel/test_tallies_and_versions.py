"""The KPI tally's exact sums and the valid-time versions, in their pure form."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from complaints.readmodel.fold import fold
from complaints.readmodel.kpis import Tally, compute_kpis, contributions, report, tally_cases
from complaints.readmodel.model import Case
from complaints.readmodel.validtime import appendable, running, versions
from schemas.common import Money
from schemas.events import OfferAccepted, OfferDeclined, OfferFulfilled
from tests.unit.readmodel.factory import T0, Ev, H, M, offered, received, sandwich, unhappy

NOW = T0 + 30 * 24 * H


def case_of(events: list[Ev]) -> Case:
    case = fold((ev.envelope(), f"{ev.event.topic}:0:{i}") for i, ev in enumerate(events))[0]
    assert case is not None
    return case


def test_money_keeps_the_decimal_places_the_amounts_had() -> None:
    events = [received("m", T0), offered("m", T0 + M, offer_id="m1", remedies=[("refund", "8.5", "EUR"),
                                                                               ("coupon", "1.25", "EUR")])]
    cost = compute_kpis([case_of(events)], NOW).recovery_cost
    assert cost == {"EUR": {"coupon": "1.25", "refund": "8.5", "total": "9.75"}}


def test_a_tally_split_any_way_sums_to_the_same_report() -> None:
    cases = [case_of(sandwich("s1")), case_of(unhappy("u1")), case_of(sandwich("s2", T0 + 3 * H))]
    whole = tally_cases(cases)
    parts = Tally()
    for case in cases:
        parts.add(contributions(case.model_dump(mode="json")))
    parts.add(contributions(cases[1].model_dump(mode="json")), sign=-1)
    parts.add(contributions(cases[1].model_dump(mode="json")))
    assert report(parts, NOW) == report(whole, NOW) == compute_kpis(cases, NOW)


def test_durations_are_whole_seconds_for_percentiles_and_exact_for_the_mean() -> None:
    events = [received("d", T0), offered("d", T0 + timedelta(seconds=90, microseconds=500_000), offer_id="d1",
                                         remedies=[("apology", None, "EUR")])]
    first = compute_kpis([case_of(events)], NOW).first_response
    assert (first.p50_s, first.p90_s, first.mean_s) == (90.0, 90.0, 90.5)


def test_an_unanswered_case_is_pending_until_its_due_time_then_breached() -> None:
    case = case_of([received("p", T0, channel="email")])
    due = case.sla.due_at
    assert due is not None
    assert compute_kpis([case], due - M).sla_by_channel["email"].pending == 1
    assert compute_kpis([case], due + M).sla_by_channel["email"].breached == 1


def test_versions_are_the_case_as_of_each_event_time() -> None:
    events = unhappy("v")
    items = [(ev.envelope(), f"{ev.event.topic}:0:{i}") for i, ev in enumerate(events)]
    got = versions(items)
    # Two events share a time (the unsatisfied follow-up and the reopening escalation): one version.
    assert [moment for moment, _ in got] == sorted({ev.at for ev in events})
    for moment, doc in got:
        expected, _ = fold(i for i in items if i[0].time <= moment)
        assert expected is not None and doc["status"] == expected.status and doc["level"] == expected.level


def test_new_events_extend_the_versions_only_in_time_order() -> None:
    assert appendable(None, [T0, T0, T0 + M])
    assert appendable(T0 + M, [T0 + M, T0 + H])
    assert not appendable(T0 + H, [T0 + M])
    assert not appendable(None, [T0 + H, T0])
    assert running([(T0, "a"), (T0, "b"), (T0 + M, "c")]) == [(T0, "b"), (T0 + M, "c")]


def test_offered_accepted_and_fulfilled_are_counted_with_exact_totals() -> None:
    events = sandwich("f1")  # offered 9.50 EUR (6.50 + 3.00)
    at = events[1].at + M
    events.append(Ev(OfferAccepted(complaint_id="f1", offer_id="f1-o1", episode=1, recorded_by="customer"), at, "acc"))
    events.append(Ev(OfferFulfilled(complaint_id="f1", offer_id="f1-o1", episode=1, reference="r-1",
                                    amount=Money(amount=Decimal("9.2"), currency="EUR"), fulfilled_by="sam"),
                     at + M, "ful"))
    declined = sandwich("f2")
    declined.insert(2, Ev(OfferDeclined(complaint_id="f2", offer_id="f2-o1", episode=1, recorded_by="customer"),
                          declined[1].at + M, "dec"))
    case = case_of(events)
    assert case.offers[0].accepted_at == at and case.offers[0].fulfilled is not None
    assert case.offers[0].fulfilled.amount.amount == Decimal("9.2")
    comp = compute_kpis([case, case_of(declined)], NOW).compensation["EUR"]
    assert (comp.offered.count, comp.offered.total) == (2, "19.00")
    assert (comp.accepted.count, comp.accepted.total) == (1, "9.50")
    assert (comp.fulfilled.count, comp.fulfilled.total) == (1, "9.2")

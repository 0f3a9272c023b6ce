"""The resolution SLA (`lifecycle.resolution_clock`): business time, paused while an offer awaits the
customer's answer, running again at the answer; breached when resolved at or after its due time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from complaints.domain.lifecycle import AnswerFact, OfferFact, Pause, awaiting_customer, resolution_clock
from complaints.domain.policy_calendar import Calendar, clock_of

H = timedelta(hours=1)
MON = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # Monday 15:00 in London (GMT in March before the 29th)
OFFICE = Calendar(time_zone="Europe/London", hours={d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")})
WALL = clock_of(None)


def offer(oid: str, at: datetime, supersedes: str | None = None) -> OfferFact:
    return OfferFact(oid, 1, "front_line", at, supersedes)


def test_without_offers_the_clock_runs_from_arrival() -> None:
    clock = resolution_clock(MON, 8 * H, True, *WALL, [], [])
    assert (clock.due_at, clock.paused, clock.breached, clock.resolved_at) == (MON + 8 * H, False, False, None)


def test_an_offer_pauses_the_clock_and_the_answer_resumes_it_with_the_time_that_was_left() -> None:
    waiting = resolution_clock(MON, 8 * H, True, *WALL, [offer("o1", MON + H)], [])
    assert (waiting.due_at, waiting.paused, waiting.left) == (None, True, 7 * H)  # 1 h used before the offer
    answered = resolution_clock(MON, 8 * H, True, *WALL, [offer("o1", MON + H)],
                                [AnswerFact("o1", "unsatisfied", MON + 5 * H)])
    assert (answered.due_at, answered.paused) == (MON + 12 * H, False)  # 4 h paused: 8 h + 4 h from arrival


def test_without_the_policys_pause_the_wait_for_the_customer_counts() -> None:
    clock = resolution_clock(MON, 8 * H, False, *WALL, [offer("o1", MON + H)], [])
    assert (clock.due_at, clock.paused) == (MON + 8 * H, False)


def test_business_time_stops_at_closing_time_and_while_paused() -> None:
    add, between = clock_of(OFFICE)
    # no offer: 2 h on Monday (15:00-17:00), 2 h on Tuesday from 09:00
    assert resolution_clock(MON, 4 * H, True, add, between, [], []).due_at == datetime(2026, 3, 3, 11, 0, tzinfo=UTC)
    # an offer at 16:00 (1 h used), answered Tuesday 10:00: 3 h left from then, due Tuesday 13:00
    clock = resolution_clock(MON, 4 * H, True, add, between, [offer("o1", MON + H)],
                             [AnswerFact("o1", "unsatisfied", datetime(2026, 3, 3, 10, 0, tzinfo=UTC))])
    assert clock.due_at == datetime(2026, 3, 3, 13, 0, tzinfo=UTC)
    # an offer after closing (Monday 20:00): the whole of Monday's 2 h was used, the pause costs no open time
    night = resolution_clock(MON, 4 * H, True, add, between, [offer("o1", MON + 5 * H)], [])
    assert (night.due_at, night.paused, night.left) == (None, True, 2 * H)


def test_a_resolution_at_or_after_the_due_time_is_breached_and_one_while_paused_is_not() -> None:
    late = resolution_clock(MON, 2 * H, True, *WALL, [offer("o1", MON + 2 * H)],
                            [AnswerFact("o1", "satisfied", MON + 3 * H)])
    assert late.due_at == MON + 2 * H and late.breached  # the offer came when the time ran out: due is due
    in_time = resolution_clock(MON, 2 * H, True, *WALL, [offer("o1", MON + H)],
                               [AnswerFact("o1", "no_response", MON + 30 * H)])  # nobody answered for a day
    assert in_time.resolved_at == MON + 30 * H and not in_time.breached and not in_time.paused
    running = resolution_clock(MON, 2 * H, True, *WALL, [], [], now=MON + 2 * H)
    assert running.breached, "unresolved when the time ran out (the breach boundary is inclusive)"
    assert not resolution_clock(MON, 2 * H, True, *WALL, [offer("o1", MON + H)], [], now=MON + 9 * H).breached


def test_an_offer_that_replaces_another_keeps_the_clock_paused_until_its_own_answer() -> None:
    offers = [offer("o1", MON + H), offer("o2", MON + 2 * H, supersedes="o1")]
    assert awaiting_customer(offers, []) == [Pause(MON + H, None)]
    answered = [AnswerFact("o2", "unsatisfied", MON + 4 * H)]
    assert awaiting_customer(offers, answered) == [Pause(MON + H, MON + 4 * H)]
    assert resolution_clock(MON, 8 * H, True, *WALL, offers, answered).due_at == MON + 11 * H


def test_calendar_between_counts_what_add_adds() -> None:
    start = datetime(2026, 3, 27, 16, 30, tzinfo=UTC)  # Friday 16:30 GMT; the clocks go forward on Sunday
    for hours in (0.5, 1, 7, 8.5, 20):
        due = OFFICE.add(start, hours * H)
        assert OFFICE.between(start, due) == hours * H
    assert OFFICE.between(start, start - H) == timedelta(0)

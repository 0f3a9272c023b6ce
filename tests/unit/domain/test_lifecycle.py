"""The one definition of the lifecycle: each rule the worker and the read model used to disagree on."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from complaints.domain import CaseState, Policy, escalation, evolve, triage
from complaints.domain.lifecycle import derive, first_response_due, is_breached, overdue
from complaints.readmodel.fold import effective_sla
from complaints.readmodel.fold import fold as read_fold
from complaints.readmodel.model import Case
from schemas.common import Channel, Severity
from schemas.events import Escalated
from tests.unit.readmodel.factory import T0, D, Ev, H, M, escalated, followed, offered, received

US = timedelta(microseconds=1)
COUPON: list[tuple[str, str | None, str]] = [("coupon", "5.00", "EUR")]


def fold(events: list[Ev]) -> CaseState:
    state: CaseState | None = None
    for ev in events:
        state = evolve(state, ev.event, ev.id, ev.at)
    assert state is not None
    return state


def view(events: list[Ev], policy: Policy) -> Case:
    """The read model's case: the same events through its fold."""
    case, _ = read_fold([(ev.envelope(), f"{ev.event.topic}:0:{i}") for i, ev in enumerate(events)],
                        policy.first_response_sla)
    assert case is not None
    return case


def reopened_story(cid: str = "c-r") -> list[Ev]:
    """Supervisor offers, the customer is unhappy, the reopen goes to a manager."""
    return [
        received(cid, T0, channel="email"),
        escalated(cid, T0 + M, level="supervisor"),
        offered(cid, T0 + H, offer_id=f"{cid}-o1", level="supervisor", remedies=COUPON),
        followed(cid, T0 + D, offer_id=f"{cid}-o1", outcome="unsatisfied"),
        escalated(cid, T0 + D, level="manager", from_level="supervisor", reason="reopened", episode=2),
    ]


def test_an_sla_breach_in_a_reopened_episode_leaves_the_case_reopened(policy: Policy) -> None:
    """Was `reopened` in the worker and `escalated` in the view: status is the stage, not the last event."""
    events = [*reopened_story(), escalated("c-r", T0 + D + H, level="department", department="finance",
                                           from_level="manager", reason="sla_breached", episode=2)]
    state = fold(events)
    assert (state.status, state.level, state.department, state.episode) == ("reopened", "department", "finance", 2)
    assert state.derived().sla_breached
    case = view(events, policy)
    assert (case.status, case.level, case.department, case.episode) == ("reopened", "department", "finance", 2)
    assert case.sla.breached
    answered = fold([*events, offered("c-r", T0 + D + 2 * H, offer_id="c-r-o2", level="department", episode=2,
                                      remedies=COUPON)])
    assert answered.status == "recovery_offered", "the next offer ends the reopened stage"


def test_a_first_response_is_late_from_its_due_time_on(policy: Policy) -> None:
    """The view breached at `due_at < now`, the escalation decision at `now >= due`: now both at `now >= due`."""
    due = T0 + H
    assert not overdue(due, due - US) and overdue(due, due)
    assert not is_breached(due, None, False, due - US)
    assert is_breached(due, None, False, due), "unanswered at the due time is breached"
    assert is_breached(due, due, False, None), "an answer at the due time is late"
    assert not is_breached(due, due - US, False, due + D), "an answer before it is on time, for good"
    state = fold([received("c-b", T0, channel="social", public=True)])
    social_due = escalation.next_due(state, policy)
    assert social_due is not None and state.breached(policy.first_response_sla, social_due)
    assert not escalation.on_tick(state, policy, social_due - US)
    [emit] = escalation.on_tick(state, policy, social_due)
    case = view([received("c-b", T0, channel="social", public=True)], policy)
    assert case.sla.due_at == social_due
    assert not effective_sla(case, social_due - US).breached and effective_sla(case, social_due).breached
    assert isinstance(emit.event, Escalated) and emit.event.reason == "sla_breached"


@pytest.mark.parametrize(("channel", "severity", "public"), [
    ("email", "low", False), ("email", "critical", False), ("web", "high", False), ("social", "low", True),
    ("phone", "medium", False), ("in_person", "low", False)])
def test_the_front_line_due_time_is_the_same_for_triage_the_timer_and_the_state(
        policy: Policy, channel: Channel, severity: Severity, public: bool) -> None:
    state = fold([received("c-d", T0, channel=channel, severity=severity, public=public)])
    assert state.facts is not None
    expected = first_response_due(T0, channel, severity, public, policy.first_response_sla)
    assert expected == T0 + policy.first_response_sla(channel, severity, public)
    assert triage(state.facts, policy).sla_due_at == expected
    assert state.due_at(policy.first_response_sla) == expected
    assert view([received("c-d", T0, channel=channel, severity=severity, public=public)], policy).sla.due_at == expected
    if triage(state.facts, policy).level == "front_line":
        assert escalation.next_due(state, policy) == expected


def test_an_unsatisfied_answer_starts_the_next_episode_at_once(policy: Policy) -> None:
    """The view started episode 2 at the unhappy follow-up, the worker only at the reopen escalation."""
    before_reopen = fold(reopened_story()[:4])
    life = before_reopen.derived()
    assert (before_reopen.episode, before_reopen.status, life.due_at, life.responded_at) == (2, "reopened", None, None)
    assert before_reopen.level == "supervisor", "the level moves with the reopen escalation, not before"
    case = view(reopened_story()[:4], policy)
    assert (case.episode, case.status, case.level, case.sla.due_at) == (2, "reopened", "supervisor", None)
    after = fold(reopened_story())
    assert (after.episode, after.status, after.level, after.sla_due_at) == (2, "reopened", "manager", T0 + D + H)


def test_a_case_moved_above_its_open_offer_reads_escalated(policy: Policy) -> None:
    """The worker said `recovery_offered` while the follow-up service (rightly) no longer waited on that offer."""
    events = [received("c-u", T0, channel="web"), offered("c-u", T0 + M, offer_id="c-u-o1", remedies=COUPON),
              escalated("c-u", T0 + 2 * M, level="supervisor", reason="manual", sla=2 * H)]
    state = fold(events)
    assert state.open_offer is not None and state.offer_awaiting_answer is None
    assert (state.status, state.level) == ("escalated", "supervisor")
    case = view(events, policy)
    assert (case.status, case.level, case.sla.awaiting_response) == ("escalated", "supervisor", True)


def test_derive_gives_the_same_lifecycle_for_any_order_of_the_facts() -> None:
    state = fold([*reopened_story(), offered("c-r", T0 + D + M, offer_id="c-r-o2", level="manager", episode=2,
                                             remedies=COUPON, supersedes=None)])
    escalations = [e.fact for e in state.escalations]
    offers = [o.fact for o in state.offers]
    follow_ups = [f.fact for f in state.followups]
    due: datetime = T0 + H
    forward = derive(escalations, offers, follow_ups, due)
    assert forward == derive(escalations[::-1], offers[::-1], follow_ups[::-1], due)
    assert (forward.status, forward.episode, forward.level, forward.responded_at) == (
        "recovery_offered", 2, "manager", T0 + D + M)

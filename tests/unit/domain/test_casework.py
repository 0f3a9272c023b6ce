"""Staff case work: the decisions, and the workers' fold and the read model's agreeing on what they mean."""

from __future__ import annotations

from datetime import datetime

import pytest

from complaints.domain import CaseState, Emit, Policy, casework, escalation, evolve, followup, recovery
from complaints.domain.errors import CaseClosed, CaseWorkRefused, UnknownCase
from complaints.readmodel.fold import effective_sla
from complaints.readmodel.fold import fold as read_fold
from complaints.readmodel.kpis import compute_kpis
from complaints.readmodel.model import Case
from complaints.readmodel.queue import QueueFilter, matches
from complaints.readmodel.timeline import entry_for
from schemas.common import CloseReason
from schemas.events import CaseClosed as Closed
from schemas.events import CaseReopened, CustomerReplied, Escalated, Remedy
from tests.unit.readmodel.factory import T0, D, Ev, H, M, followed, offered, received, sealed

COUPON: list[tuple[str, str | None, str]] = [("coupon", "5.00", "EUR")]


def as_ev(emit: Emit, at: datetime) -> Ev:
    return Ev(emit.event, at, emit.event_id)


class Story:
    """One case's events; staff actions are decided on the workers' fold of what came before."""

    def __init__(self, *events: Ev) -> None:
        self.events = list(events)

    @property
    def state(self) -> CaseState:
        state: CaseState | None = None
        for ev in self.events:
            state = evolve(state, ev.event, ev.id, ev.at)
        assert state is not None
        return state

    def view(self, policy: Policy, events: list[Ev] | None = None) -> Case:
        items = [(ev.envelope(), f"{ev.event.topic}:0:{i}") for i, ev in enumerate(events or self.events)]
        case, _ = read_fold(items, policy.first_response_sla)
        assert case is not None
        return case

    def act(self, emits: list[Emit], at: datetime) -> Emit:
        [emit] = emits
        self.events.append(as_ev(emit, at))
        return emit


def test_a_reply_is_the_first_response_so_the_sla_never_breaches(policy: Policy) -> None:
    story = Story(received("c-tweet", T0, channel="social", public=True))
    due = escalation.next_due(story.state, policy)
    assert due is not None and due > T0 + 10 * M
    reply = story.act(casework.reply(story.state, message=sealed("cust-1"), by="ana", now=T0 + 10 * M,
                                     request_id="r1"), T0 + 10 * M)
    assert isinstance(reply.event, CustomerReplied) and reply.event.level == "front_line"
    state = story.state
    assert state.derived(policy.first_response_sla).responded_at == T0 + 10 * M
    assert escalation.next_due(state, policy) is None
    assert escalation.on_tick(state, policy, due + D) == [], "no SLA escalation once answered"
    assert state.status == "received" and not state.closed, "a reply answers; it does not close"
    case = story.view(policy)
    assert case.sla.responded_at == T0 + 10 * M and not case.sla.awaiting_response
    assert not effective_sla(case, due + D).breached
    assert case.first_response_at == T0 + 10 * M and case.first_response_sla_met is True
    assert [(r.by, r.level) for r in case.replies] == [("ana", "front_line")]


def test_a_late_reply_is_a_breached_first_response_in_both_folds(policy: Policy) -> None:
    story = Story(received("c-late", T0, channel="social", public=True))
    due = escalation.next_due(story.state, policy)
    assert due is not None
    story.act(casework.reply(story.state, message=sealed("cust-1"), by="ana", now=due + M, request_id="r"), due + M)
    assert story.state.breached(policy.first_response_sla, due + D)
    assert story.view(policy).sla.breached and story.view(policy).first_response_sla_met is False


def test_closing_as_abuse_withdraws_the_offer_stops_every_timer_and_never_penalises(policy: Policy) -> None:
    story = Story(received("c-spam", T0, channel="email"), offered("c-spam", T0 + M, offer_id="o1", remedies=COUPON))
    emit = story.act(casework.close(story.state, reason="abuse", duplicate_of=None, by="ana", now=T0 + H,
                                    request_id="k"), T0 + H)
    assert isinstance(emit.event, Closed) and emit.event.withdrawn_offer == "o1"
    state = story.state
    assert state.closed and state.status == "closed" and state.open_offer is None
    assert state.outcome is None and not state.flagged, "no no_response, nothing flagged against the customer"
    assert state.closed_by_staff is not None and state.closed_by_staff.reason == "abuse"
    assert followup.next_due(state) is None and followup.on_tick(state, policy, T0 + 30 * D) == []
    assert escalation.next_due(state, policy) is None and escalation.on_tick(state, policy, T0 + 30 * D) == []
    with pytest.raises(CaseClosed):  # the recovery service refuses a new offer on it
        recovery.manual_offer(state, agent="bob", level="manager", apology=None, policy=policy, now=T0 + 2 * H,
                              request_id="x", remedies=[Remedy(type="apology", description="Sorry")])
    with pytest.raises(CaseWorkRefused, match="closed"):
        casework.reply(state, message=sealed("cust-1"), by="ana", now=T0 + 2 * H, request_id="late")
    case = story.view(policy)
    assert case.status == "closed" and case.outcome is None
    assert case.closure is not None and (case.closure.reason, case.closure.by, case.closure.at) == ("abuse", "ana",
                                                                                                  T0 + H)
    assert not case.sla.awaiting_response


def test_a_duplicate_names_its_original_and_never_itself(policy: Policy) -> None:
    story = Story(received("c-dup", T0))
    with pytest.raises(CaseWorkRefused, match="duplicate_of"):
        casework.close(story.state, reason="duplicate", duplicate_of=None, by="a", now=T0, request_id="1")
    with pytest.raises(CaseWorkRefused, match="itself"):
        casework.close(story.state, reason="duplicate", duplicate_of="c-dup", by="a", now=T0, request_id="1")
    story.act(casework.close(story.state, reason="duplicate", duplicate_of="c-orig", by="a", now=T0 + M,
                             request_id="2"), T0 + M)
    view = story.view(policy)
    assert view.closure is not None and view.closure.duplicate_of == "c-orig"
    with pytest.raises(CaseWorkRefused, match="closed"):
        casework.close(story.state, reason="resolved", duplicate_of=None, by="a", now=T0 + H, request_id="3")


def test_take_assign_release_and_the_queue_filters(policy: Policy) -> None:
    story = Story(received("c-q", T0))
    story.act(casework.take(story.state, by="ana", now=T0 + M, request_id="t1"), T0 + M)
    assert story.state.assignee == "ana"
    with pytest.raises(CaseWorkRefused, match="already yours"):
        casework.take(story.state, by="ana", now=T0 + 2 * M, request_id="t2")
    with pytest.raises(CaseWorkRefused, match="assigned to ana"):
        casework.take(story.state, by="bob", now=T0 + 2 * M, request_id="t3")
    story.act(casework.assign(story.state, assignee="bob", by="ana", now=T0 + 3 * M, request_id="a1"), T0 + 3 * M)
    case = story.view(policy)
    assert story.state.assignee == case.assignee == "bob"
    assert matches(case, QueueFilter(assignee="bob"), T0) and not matches(case, QueueFilter(assignee="ana"), T0)
    assert matches(case, QueueFilter(unassigned=False), T0) and not matches(case, QueueFilter(unassigned=True), T0)
    story.act(casework.release(story.state, by="bob", now=T0 + 4 * M, request_id="r1"), T0 + 4 * M)
    case = story.view(policy)
    assert story.state.assignee is None and case.assignee is None and matches(case, QueueFilter(unassigned=True), T0)
    with pytest.raises(CaseWorkRefused, match="not assigned"):
        casework.release(story.state, by="bob", now=T0 + 5 * M, request_id="r2")


def test_the_latest_assignment_wins_whatever_the_arrival_order(policy: Policy) -> None:
    story = Story(received("c-o", T0))
    story.act(casework.take(story.state, by="ana", now=T0 + M, request_id="t"), T0 + M)
    story.act(casework.assign(story.state, assignee="bob", by="ana", now=T0 + 2 * M, request_id="a"), T0 + 2 * M)
    backwards = [story.events[0], *story.events[:0:-1]]
    state: CaseState | None = None
    for ev in backwards:
        state = evolve(state, ev.event, ev.id, ev.at)
    assert state is not None and state.assignee == "bob" == story.view(policy, backwards).assignee


def test_reopen_starts_a_new_episode_with_a_first_response_due_again(policy: Policy) -> None:
    story = Story(received("c-re", T0, channel="email"), offered("c-re", T0 + M, offer_id="o1", remedies=COUPON),
                  followed("c-re", T0 + H, offer_id="o1", outcome="satisfied"))
    assert story.state.closed
    with pytest.raises(CaseWorkRefused, match="only a closed case"):
        casework.reopen(Story(received("c-open", T0)).state, reason="r", by="a", policy=policy, now=T0,
                        request_id="x")
    now = T0 + D
    emit = story.act(casework.reopen(story.state, reason="Customer called back: still broken", by="lee",
                                     policy=policy, now=now, request_id="re1"), now)
    assert isinstance(emit.event, CaseReopened) and emit.event.episode == 2
    due = policy.first_response_due(now, "email", "low", False)
    state = story.state
    assert (state.status, state.episode, state.closed) == ("reopened", 2, False)
    assert state.due_at(policy.first_response_sla) == due == escalation.next_due(state, policy)
    case = story.view(policy)
    assert (case.status, case.episode, case.sla.due_at, case.sla.awaiting_response) == ("reopened", 2, due, True)
    assert [e.number for e in case.episodes] == [1, 2] and case.episodes[1].started_at == now
    [breach] = escalation.on_tick(state, policy, due)
    assert isinstance(breach.event, Escalated) and breach.event.episode == 2, "an unanswered reopen climbs the ladder"


def test_a_staff_closure_then_a_reopen_then_a_close_again(policy: Policy) -> None:
    story = Story(received("c-cc", T0))
    story.act(casework.close(story.state, reason="resolved", duplicate_of=None, by="a", now=T0 + M, request_id="1"),
              T0 + M)
    story.act(casework.reopen(story.state, reason="again", by="a", policy=policy, now=T0 + H, request_id="2"),
              T0 + H)
    assert not story.state.closed and story.view(policy).closure is None
    story.act(casework.close(story.state, reason="abuse", duplicate_of=None, by="b", now=T0 + D, request_id="3"),
              T0 + D)
    case = story.view(policy)
    assert story.state.closed and case.status == "closed" and case.closure is not None
    assert case.closure.reason == "abuse" and case.closure.episode == 2


def test_a_retry_answers_with_the_same_ids_even_after_the_case_moved(policy: Policy) -> None:
    story = Story(received("c-rt", T0))
    first = story.act(casework.close(story.state, reason="resolved", duplicate_of=None, by="a", now=T0 + M,
                                     request_id="same"), T0 + M)
    [again] = casework.close(story.state, reason="resolved", duplicate_of=None, by="a", now=T0 + H,
                             request_id="same")
    assert again.event_id == first.event_id
    assert evolve(story.state, again.event, again.event_id, T0 + H) == story.state, "the copy changes nothing"
    with pytest.raises(CaseWorkRefused, match="closed"):
        casework.close(story.state, reason="resolved", duplicate_of=None, by="a", now=T0 + H, request_id="other")


def test_unknown_cases_are_refused_and_notes_go_on_closed_cases_too(policy: Policy) -> None:
    for decide in (lambda: casework.take(None, by="a", now=T0, request_id="1"),
                   lambda: casework.note(None, text=sealed("c"), by="a", now=T0, request_id="1"),
                   lambda: casework.reopen(None, reason="r", by="a", policy=policy, now=T0, request_id="1")):
        with pytest.raises(UnknownCase):
            decide()
    story = Story(received("c-n", T0))
    story.act(casework.close(story.state, reason="resolved", duplicate_of=None, by="a", now=T0, request_id="1"), T0)
    story.act(casework.note(story.state, text=sealed("cust-1"), by="lee", now=T0 + M, request_id="n"), T0 + M)
    assert [n.by for n in story.view(policy).notes] == ["lee"]


def test_timeline_entries_of_case_work_carry_no_sealed_text(policy: Policy) -> None:
    story = Story(received("c-t", T0))
    story.act(casework.reply(story.state, message=sealed("cust-1"), by="ana", now=T0 + M, request_id="r"), T0 + M)
    story.act(casework.note(story.state, text=sealed("cust-1"), by="ana", now=T0 + 2 * M, request_id="n"),
              T0 + 2 * M)
    for ev in story.events[1:]:
        entry = entry_for(ev.envelope(), "Escalated:0:1", 1)
        assert entry.type in ("CustomerReplied", "NoteAdded") and "ana" in entry.summary
        assert not {"message", "text"} & set(entry.essentials)
        assert "ciphertext" not in entry.model_dump_json()


def test_spam_and_duplicates_closed_by_staff_leave_the_recovery_rate_alone(policy: Policy) -> None:
    cases = []
    reasons: list[CloseReason] = ["abuse", "duplicate", "resolved"]
    for cid, reason in zip(("k-spam", "k-dup", "k-ok"), reasons, strict=True):
        story = Story(received(cid, T0))
        story.act(casework.close(story.state, reason=reason, duplicate_of="k-0" if reason == "duplicate" else None,
                                 by="a", now=T0 + M, request_id="1"), T0 + M)
        cases.append(story.view(policy))
    rate = compute_kpis(cases, T0 + D).recovery_rate
    assert (rate.numerator, rate.denominator) == (0, 1), "only the resolved closure is a customer to win back"

"""The two folds of a case agree: the workers' `evolve` and the read model's fold, as the projector applies it.

Valid event histories (received, escalations, offers, follow-ups with an unhappy reopen, superseding
offers, and staff case work: assignments, replies, closures and reopens) are delivered in random
orders with duplicates. The worker folds each delivery into its state; the projector skips an id
it has seen, folds an event onto the case document when it sorts after the last one applied, and
refolds the case from its events when it sorts before. After every delivery both say the same
status, level, department, episode, due time, breached, assignee and closure.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from complaints.domain import CaseState, evolve
from complaints.domain.levels import level_above, rank
from complaints.domain.policy import load_policy
from complaints.ids import deterministic_id
from complaints.readmodel.casedoc import Doc, advance, last_key
from complaints.readmodel.fold import effective_sla, fold_doc
from complaints.readmodel.model import Case
from complaints.readmodel.order import sort_key
from schemas.common import LEVELS, Level
from schemas.events import CaseAssigned, CaseClosed, CaseReopened, CustomerReplied, Event
from tests.unit.domain.conftest import DEFAULT_POLICY
from tests.unit.readmodel.factory import T0, Ev, escalated, followed, offered, received, sealed

POLICY = load_policy(DEFAULT_POLICY)
FIRST_RESPONSE = POLICY.first_response_sla
CID = "case-p"
COUPON: list[tuple[str, str | None, str]] = [("coupon", "5.00", "EUR")]
gaps = st.integers(min_value=1, max_value=3 * 24 * 3600).map(lambda s: timedelta(seconds=s))
slas = st.sampled_from([timedelta(minutes=30), timedelta(hours=1), timedelta(hours=4), timedelta(days=1)])


def work(event: Event, at: datetime) -> Ev:
    return Ev(event, at, deterministic_id("work", type(event).__name__, at.isoformat()))


@st.composite
def histories(draw: st.DrawFn) -> list[Ev]:
    """One case's events as the services would publish them, in publishing order."""
    at = T0
    events = [received(CID, at, channel=draw(st.sampled_from(["email", "web", "chat", "social", "phone"])),
                       severity=draw(st.sampled_from(["low", "medium", "high", "critical"])),
                       public=draw(st.booleans()))]
    level: Level = "front_line"
    department: str | None = None
    episode, offers, open_offer = 1, 0, None
    for _ in range(draw(st.integers(min_value=0, max_value=9))):
        at += draw(gaps)
        moves = ["offer", *(["escalate"] if level != "executive" else []), *(["answer"] if open_offer else []),
                 "reply", "assign", "close"]
        move = draw(st.sampled_from(moves))
        if move == "reply":
            events.append(work(CustomerReplied(complaint_id=CID, episode=episode, at=at, message=sealed("c"),
                                               level=level, replied_by="ana"), at))
        elif move == "assign":
            who = draw(st.sampled_from(["ana", "bob", None]))
            events.append(work(CaseAssigned(complaint_id=CID, episode=episode, at=at, assignee=who,
                                            assigned_by="ana"), at))
        elif move == "close":
            events.append(work(CaseClosed(complaint_id=CID, episode=episode, at=at, closed_by="ana",
                                          reason=draw(st.sampled_from(["resolved", "abuse"]))), at))
            open_offer = None
            if not draw(st.booleans()):
                break
            at += draw(gaps)
            episode += 1
            events.append(work(CaseReopened(complaint_id=CID, episode=episode, at=at, reason="again", level=level,
                                            first_response_due_at=at + draw(slas), reopened_by="lee",
                                            policy_version="p"), at))
        elif move == "escalate":
            reasons = ["triage", "customer_request", "manual", "sla_breached"] if episode == 1 else ["manual",
                                                                                                    "sla_breached"]
            to: Level = draw(st.sampled_from(LEVELS[rank(level) + 1:]))
            if department is None and rank(to) >= rank("department"):
                department = draw(st.sampled_from(["finance", "operations"]))
            events.append(escalated(CID, at, level=to, from_level=level, reason=draw(st.sampled_from(reasons)),
                                    department=department, episode=episode, sla=draw(slas)))
            level = to
        elif move == "offer":
            offers += 1
            supersedes = open_offer if open_offer and draw(st.booleans()) else None
            events.append(offered(CID, at, offer_id=f"o{offers}", level=level, episode=episode,
                                  supersedes=supersedes, remedies=COUPON))
            open_offer = f"o{offers}"
        else:
            assert open_offer is not None
            outcome = draw(st.sampled_from(["satisfied", "unsatisfied", "no_response"]))
            events.append(followed(CID, at, offer_id=open_offer, outcome=outcome, episode=episode))
            open_offer = None
            if outcome != "unsatisfied":
                break
            episode += 1
            if draw(st.booleans()):  # the reopen escalation (or not yet)
                at += timedelta(seconds=1)
                up = level_above(level) or "executive"
                if department is None and rank(up) >= rank("department"):
                    department = "finance"
                events.append(escalated(CID, at, level=up, from_level=level, reason="reopened",
                                        department=department, episode=episode, sla=draw(slas)))
                level = up
    return events


class Projector:
    """The read model's fold as the projections writer applies it (`ingest` `_fold`), in memory."""

    def __init__(self) -> None:
        self.doc: Doc | None = None
        self.events: list[tuple[Ev, str]] = []

    def apply(self, ev: Ev, position: str) -> None:
        if any(seen.id == ev.id for seen, _ in self.events):
            return  # a duplicate: the timeline has it
        self.events.append((ev, position))
        env = ev.envelope()
        key = last_key(self.doc) if self.doc is not None else None
        if key is not None and sort_key(env) < key:  # sorts before one already applied: refold
            self.doc = fold_doc(((e.envelope(), p) for e, p in self.events), FIRST_RESPONSE)
        else:
            self.doc = advance(self.doc, env, position, FIRST_RESPONSE)


def worker_view(state: CaseState, now: datetime) -> tuple[object, ...]:
    closure = state.closed_by_staff
    return (state.status, state.level, state.department, state.episode, state.due_at(FIRST_RESPONSE),
            state.breached(FIRST_RESPONSE, now), state.assignee, closure and (closure.reason, closure.at))


def read_view(doc: Doc, now: datetime) -> tuple[object, ...]:
    case = Case.model_validate(doc)
    return (case.status, case.level, case.department, case.episode, case.sla.due_at,
            effective_sla(case, now).breached, case.assignee, case.closure and (case.closure.reason, case.closure.at))


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[list[Ev], list[int]]:
    events = draw(histories())
    duplicates = draw(st.lists(st.integers(min_value=0, max_value=len(events) - 1), max_size=4))
    return events, draw(st.permutations([*range(len(events)), *duplicates]))


@settings(max_examples=300, deadline=None, database=None)
@given(delivery=deliveries(), late=gaps)
def test_the_worker_and_the_read_model_agree_after_every_delivery(delivery: tuple[list[Ev], list[int]],
                                                                   late: timedelta) -> None:
    events, order = delivery
    state: CaseState | None = None
    projector = Projector()
    for step, index in enumerate(order):
        ev = events[index]
        state = evolve(state, ev.event, ev.id, ev.at)
        projector.apply(ev, f"{ev.event.topic}:0:{index}")
        assert projector.doc is not None
        for now in (ev.at, ev.at + late, state.due_at(FIRST_RESPONSE) or ev.at):
            assert worker_view(state, now) == read_view(projector.doc, now), (step, [events[i] for i in order])

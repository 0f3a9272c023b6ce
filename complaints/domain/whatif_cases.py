"""What-if for one case: its recorded history, and the same history re-decided under a candidate. Pure.

Every episode is re-decided with the decision functions themselves: triage (episode 1), the reopen
after an unhappy answer (`escalation.reopen_levels`), the automatic offer a level makes
(`recovery.automatic_remedy`), and the SLA ladder when no response came by the due time (one level
up, due counted from the missed due time on the new owner's hours, as `escalation.on_tick` does;
the new level's automatic offer answers at once, as the recovery service would). What people and the
customer did stands as recorded, at its recorded time: a person's offer, the customer's answer (an
unhappy answer or a decline opens the next episode). When the candidate would not have answered an
episode at all (no automatic offer and no person's offer known), the case waits there: later
episodes, which needed an answer from the customer, are not assumed. Breach is `lifecycle`'s rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from complaints.domain.case import CaseFacts
from complaints.domain.escalation import department_at, reopen_levels
from complaints.domain.levels import level_above
from complaints.domain.lifecycle import EscalationFact, FollowUpFact, OfferFact, derive, is_breached, overdue
from complaints.domain.policy import Policy
from complaints.domain.recovery import automatic_remedy
from complaints.domain.triage import triage
from schemas.common import Department, Level, Money
from schemas.events import ComplaintReceived, Escalated, Event, FollowedUp, RecoveryOffered

Recorded = tuple[Event, datetime]  # an event and its time (the envelope's)
FIRST = ("triage", "customer_request")


@dataclass(frozen=True, slots=True)
class Handling:
    """A case's handling over its episodes, as recorded or as the candidate would decide it."""

    level: Level  # where the case ends up (after reopens and the SLA ladder)
    department: Department | None
    automatic: bool  # the policy offered on its own in episode 1
    offers: tuple[Money | None, ...]  # per episode: the offer that stands (None: no offer known)
    responded_at: datetime | None  # episode 1's first response
    due_at: datetime | None  # episode 1's first due time (None: a v1 record that kept none)
    breached: bool | None  # in any episode (None: unknown, no due time)

    @property
    def offer(self) -> Money | None:
        return self.offers[0] if self.offers else None

    @property
    def cost(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = defaultdict(Decimal)
        for m in self.offers:
            if m is not None:
                out[m.currency] += m.amount
        return out


class Episode(NamedTuple):
    """What the log says about one episode: when it started, its first offer, the offer that stands."""

    number: int
    started_at: datetime
    due_at: datetime | None
    first_offer: RecoveryOffered | None
    first_offer_at: datetime | None
    standing: Money | None
    sla_breached: bool


def episodes(received: ComplaintReceived, events: Sequence[Recorded]) -> list[Episode]:
    """The recorded episodes, 1..N; episode n > 1 starts at the unhappy answer that opened it."""
    by: dict[int, list[Recorded]] = defaultdict(list)
    for event, at in events:
        if isinstance(event, Escalated | RecoveryOffered | FollowedUp):
            by[event.episode].append((event, at))
            if isinstance(event, FollowedUp) and event.outcome == "unsatisfied":
                by[event.episode + 1].append((event, at))
    out: list[Episode] = []
    for n in range(1, max(by, default=1) + 1):
        items = sorted(by.get(n, ()), key=lambda item: item[1])
        opener = [at for e, at in items if isinstance(e, FollowedUp) and e.episode == n - 1]
        if n > 1 and not opener:
            break
        ups = [e for e, _ in items if isinstance(e, Escalated)]
        offers = [(e, at) for e, at in items if isinstance(e, RecoveryOffered)]
        superseded = {e.supersedes for e, _ in offers if e.supersedes}
        standing = [e.total for e, _ in offers if e.offer_id not in superseded]
        first = [e for e in ups if e.reason in FIRST] if n == 1 else [e for e in ups if e.reason == "reopened"]
        due = first[0].sla_due_at if first else received.first_response_due_at if n == 1 else None
        out.append(Episode(
            number=n, started_at=opener[0] if opener else received.received_at, due_at=due,
            first_offer=offers[0][0] if offers else None, first_offer_at=offers[0][1] if offers else None,
            standing=standing[-1] if standing else None, sla_breached=any(e.reason == "sla_breached" for e in ups)))
    return out


def recorded(events: Sequence[Recorded], as_of: datetime) -> tuple[ComplaintReceived, list[Episode], Handling] | None:
    """The case as its events say (level and department: the lifecycle's own fold, `derive`)."""
    received = next((e for e, _ in events if isinstance(e, ComplaintReceived)), None)
    if received is None:
        return None
    eps = episodes(received, events)
    life = derive([EscalationFact(e.episode, e.level, e.department, e.reason, e.sla_due_at, at)
                   for e, at in events if isinstance(e, Escalated)],
                  [OfferFact(e.offer_id, e.episode, e.level, at, e.supersedes)
                   for e, at in events if isinstance(e, RecoveryOffered)],
                  [FollowUpFact(e.offer_id, e.episode, e.outcome) for e, _ in events if isinstance(e, FollowedUp)])
    breached: bool | None = False
    for ep in eps:
        if ep.sla_breached or (ep.due_at is not None and is_breached(ep.due_at, ep.first_offer_at, False, as_of)):
            breached = True
        elif ep.due_at is None and breached is False:
            breached = None
    one = eps[0]
    return received, eps, Handling(
        level=life.level, department=life.department,
        automatic=one.first_offer is not None and one.first_offer.offered_by == "policy",
        offers=tuple(ep.standing for ep in eps), responded_at=one.first_offer_at, due_at=one.due_at,
        breached=breached)


class Candidate:
    """The candidate policy's decisions, memoised on everything they read (they are pure)."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._memo: dict[tuple[Any, ...], Any] = {}
        self.hits = self.misses = 0

    def _cached(self, key: tuple[Any, ...], compute: Any) -> Any:
        try:
            value = self._memo[key]
            self.hits += 1
        except KeyError:
            value = self._memo[key] = compute()
            self.misses += 1
        return value

    def triage(self, received: ComplaintReceived, key: tuple[Any, ...]) -> tuple[Level, Department | None,
                                                                                Money | None]:
        def compute() -> tuple[Level, Department | None, Money | None]:
            decided = triage(received, self.policy)
            return decided.level, decided.department, decided.remedy.total if decided.auto_offer else None
        return self._cached(("triage", key), compute)  # type: ignore[no-any-return]

    def reopen(self, facts: CaseFacts, key: tuple[Any, ...], level: Level, episode: int) -> Level:
        return self._cached(("reopen", key, level, episode),  # type: ignore[no-any-return]
                            lambda: reopen_levels(level, facts, episode, self.policy)[1])

    def automatic(self, facts: CaseFacts, key: tuple[Any, ...], level: Level, episode: int) -> Money | None:
        def compute() -> Money | None:
            if not self.policy.auto_offer(level):
                return None
            priced = automatic_remedy(facts, episode, level, self.policy)
            return None if priced is None else priced[0].total
        return self._cached(("auto", key, level, episode), compute)  # type: ignore[no-any-return]


def facts_key(r: ComplaintReceived) -> tuple[Any, ...]:
    stake = r.amount_at_stake
    return (r.channel, r.category, r.severity, r.public, r.wants_human, r.prior_complaints,
            None if stake is None else (stake.amount, stake.currency))


def redecide(received: ComplaintReceived, eps: Sequence[Episode], cand: Candidate, as_of: datetime) -> Handling:
    """The recorded episodes re-decided under the candidate (module docstring)."""
    policy, key, facts = cand.policy, facts_key(received), None
    ch, sev, pub = received.channel, received.severity, received.public
    level, department, auto = cand.triage(received, key)
    offers: list[Money | None] = []
    breached, first_response, first_due, automatic = False, None, None, False
    responded: datetime | None = None
    for ep in eps:
        if ep.number > 1:
            if responded is None or responded > ep.started_at:
                break  # the customer answered an offer the candidate had not made (yet): not assumed
            facts = facts or CaseFacts.of(received)
            level = cand.reopen(facts, key, level, ep.number)
            department = department_at(department, level, facts, policy)
            auto = cand.automatic(facts, key, level, ep.number)
        start = ep.started_at
        due = policy.first_response_due(start, ch, sev, pub, level, department)
        person = ep.first_offer is not None and ep.first_offer.offered_by != "policy"
        made = auto is not None  # the policy answers on its own (when the recorded automatic offer did, or at once)
        if made:
            offer, responded = auto, ep.first_offer_at if ep.first_offer is not None and not person else start
        elif person:
            offer, responded = ep.standing, ep.first_offer_at
        else:
            offer, responded = None, None
        first_due = first_due or due
        while level != "executive" and overdue(due, responded or as_of):  # the SLA ladder
            breached, missed = True, due
            up = level_above(level) or "executive"
            facts = facts or CaseFacts.of(received)
            department = department_at(department, up, facts, policy)
            level, due = up, policy.first_response_due(missed, ch, sev, pub, up, department)
            climbed = cand.automatic(facts, key, level, ep.number)
            if climbed is not None and (responded is None or responded > missed):
                offer, responded, made = climbed, missed, True
        breached = breached or is_breached(due, responded, False, as_of)
        offers.append(offer)
        if ep.number == 1:
            first_response, automatic = responded, made
    return Handling(level=level, department=department, automatic=automatic, offers=tuple(offers),
                                    responded_at=first_response, due_at=first_due, breached=breached)

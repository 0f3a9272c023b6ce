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
from complaints.domain.remedy import FairRemedy, fair_remedy
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
    ups, offers, answers = _by_type(events)
    return _episodes(received, ups, offers, answers)


def _by_type(events: Sequence[Recorded]) -> tuple[list[tuple[Escalated, datetime]],
                                                  list[tuple[RecoveryOffered, datetime]],
                                                  list[tuple[FollowedUp, datetime]]]:
    """The case's escalations, offers and follow-ups, each in time order (one pass, then sorted)."""
    return _sorted_by_type(events)[1:]  # type: ignore[return-value]


def _sorted_by_type(events: Sequence[Recorded]) -> tuple[ComplaintReceived | None, list[tuple[Escalated, datetime]],
                                                         list[tuple[RecoveryOffered, datetime]],
                                                         list[tuple[FollowedUp, datetime]]]:
    received: ComplaintReceived | None = None
    ups: list[tuple[Escalated, datetime]] = []
    offers: list[tuple[RecoveryOffered, datetime]] = []
    answers: list[tuple[FollowedUp, datetime]] = []
    for item in events:
        kind = type(item[0])
        if kind is Escalated:
            ups.append(item)  # type: ignore[arg-type]
        elif kind is RecoveryOffered:
            offers.append(item)  # type: ignore[arg-type]
        elif kind is FollowedUp:
            answers.append(item)  # type: ignore[arg-type]
        elif kind is ComplaintReceived and received is None:
            received = item[0]  # type: ignore[assignment]
    for found in (ups, offers, answers):
        if len(found) > 1:
            found.sort(key=_at)
    return received, ups, offers, answers


def _at(item: Recorded) -> datetime:
    return item[1]


def _episodes(received: ComplaintReceived, ups: list[tuple[Escalated, datetime]],
              offers: list[tuple[RecoveryOffered, datetime]], answers: list[tuple[FollowedUp, datetime]],
              ) -> list[Episode]:
    last = 1
    openers: dict[int, datetime] = {}  # episode n > 1 -> the (first) unhappy answer that opened it
    escalations: dict[int, list[Escalated]] = {}
    made: dict[int, list[tuple[RecoveryOffered, datetime]]] = {}
    for e, _ in ups:
        escalations.setdefault(e.episode, []).append(e)
        last = max(last, e.episode)
    for item in offers:
        made.setdefault(item[0].episode, []).append(item)
        last = max(last, item[0].episode)
    for f, at in answers:
        last = max(last, f.episode)
        if f.outcome == "unsatisfied":
            openers.setdefault(f.episode + 1, at)
            last = max(last, f.episode + 1)
    out: list[Episode] = []
    for n in range(1, last + 1):
        opener = openers.get(n)
        if n > 1 and opener is None:
            break
        mine, own = escalations.get(n, ()), made.get(n, ())
        superseded = {o.supersedes for o, _ in own if o.supersedes}
        standing = [o.total for o, _ in own if o.offer_id not in superseded]
        first = [e for e in mine if e.reason in FIRST] if n == 1 else [e for e in mine if e.reason == "reopened"]
        due = first[0].sla_due_at if first else received.first_response_due_at if n == 1 else None
        out.append(tuple.__new__(Episode, (
            n, opener or received.received_at, due, own[0][0] if own else None, own[0][1] if own else None,
            standing[-1] if standing else None, any(e.reason == "sla_breached" for e in mine))))
    return out


def recorded(events: Sequence[Recorded], as_of: datetime) -> tuple[ComplaintReceived, list[Episode], Handling] | None:
    """The case as its events say (level and department: the lifecycle's own fold, `derive`)."""
    received, ups, offers, answers = _sorted_by_type(events)
    if received is None:
        return None
    eps = _episodes(received, ups, offers, answers)
    new = tuple.__new__  # the facts' generated __new__ is slow on the hot path
    life = derive([new(EscalationFact, (e.episode, e.level, e.department, e.reason, e.sla_due_at, at))
                   for e, at in ups],
                  [new(OfferFact, (e.offer_id, e.episode, e.level, at, e.supersedes)) for e, at in offers],
                  [new(FollowUpFact, (e.offer_id, e.episode, e.outcome)) for e, _ in answers])
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
    """The candidate policy's decisions, memoised on everything they read (they are pure).

    The memo's key (`key`) is the policy-relevant part of a case's facts: what triage, the fair remedy
    and the authority checks read, and no more — the exact amount at stake only where the category's
    remedy is priced from it, else just which `min_amount` floors it reaches; the prior complaints only
    as which `min_prior_complaints` floors they reach. Cases alike in those decide once. A rule that
    reads a new fact must add it here (tests/unit/domain/test_whatif_speed.py holds the memo to the
    decisions computed afresh)."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._memo: dict[tuple[Any, ...], Any] = {}
        self.hits = self.misses = 0
        self._received: ComplaintReceived | None = None
        self._facts: CaseFacts | None = None
        self._key: tuple[Any, ...] = ()
        recovery, rules = policy.recovery, policy.triage.rules
        extra = any(i.basis == "at_stake" for i in recovery.reopen.extra)
        self._priced_from_stake = {c: extra or any(i.basis == "at_stake" for i in r.items)
                                   for c, r in recovery.recipes.items()}
        self._amount_floors = tuple(r.when.min_amount for r in rules if r.when.min_amount is not None)
        self._prior_floors = tuple(sorted({r.when.min_prior_complaints for r in rules
                                           if r.when.min_prior_complaints is not None}))

    def key(self, r: ComplaintReceived) -> tuple[Any, ...]:
        """The policy-relevant facts of a case (class docstring)."""
        stake, priced = r.amount_at_stake, self._priced_from_stake
        amount: Any = None
        if stake is not None:
            from_stake = priced.get(r.category, priced.get("default", False))
            amount = (stake.currency, stake.amount) if from_stake else (stake.currency, tuple(
                (floor := floors.get(stake.currency)) is not None and stake.amount >= floor
                for floors in self._amount_floors))
        priors = tuple(r.prior_complaints >= floor for floor in self._prior_floors)
        return (r.channel, r.category, r.severity, r.public, r.wants_human, priors, amount)

    def case(self, received: ComplaintReceived) -> None:
        """The case the next decisions are about (its facts are built only if a decision is not memoised)."""
        self._received, self._facts, self._key = received, None, self.key(received)

    def facts(self) -> CaseFacts:
        if self._facts is None:
            assert self._received is not None, "Candidate.case(received) first"
            self._facts = CaseFacts.of(self._received)
        return self._facts

    def _memoised(self, key: tuple[Any, ...]) -> Any:
        value = self._memo.get(key, _MISSING)
        if value is _MISSING:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def remedy(self, episode: int) -> FairRemedy:
        """The fair remedy of this episode (`remedy.fair_remedy`), once per relevant facts and episode."""
        key = ("remedy", self._key, episode)
        value = self._memoised(key)
        if value is _MISSING:
            value = self._memo[key] = fair_remedy(self.facts(), episode, self.policy)
        return value  # type: ignore[no-any-return]

    def triage(self) -> tuple[Level, Department | None, Money | None]:
        """Who owns the case and triage's automatic offer (`triage.triage`)."""
        key = ("triage", self._key)
        value = self._memoised(key)
        if value is _MISSING:
            decided = triage(self.facts(), self.policy, self.remedy(1))
            value = self._memo[key] = (decided.level, decided.department,
                                       decided.remedy.total if decided.auto_offer else None)
        return value  # type: ignore[no-any-return]

    def reopen(self, level: Level, episode: int) -> Level:
        """The level a reopen moves the case to (`escalation.reopen_levels`)."""
        key = ("reopen", self._key, level, episode)
        value = self._memoised(key)
        if value is _MISSING:
            value = self._memo[key] = reopen_levels(level, self.facts(), episode, self.policy,
                                                    self.remedy(episode))[1]
        return value  # type: ignore[no-any-return]

    def automatic(self, level: Level, episode: int) -> Money | None:
        """The offer `level` makes on its own in this episode (`recovery.automatic_remedy`), or None."""
        key = ("auto", self._key, level, episode)
        value = self._memoised(key)
        if value is _MISSING:
            priced = None
            if self.policy.auto_offer(level):
                priced = automatic_remedy(self.facts(), episode, level, self.policy, self.remedy(episode))
            value = self._memo[key] = None if priced is None else priced[0].total
        return value  # type: ignore[no-any-return]


_MISSING = object()


def redecide(received: ComplaintReceived, eps: Sequence[Episode], cand: Candidate, as_of: datetime) -> Handling:
    """The recorded episodes re-decided under the candidate (module docstring)."""
    policy = cand.policy
    cand.case(received)
    ch, sev, pub = received.channel, received.severity, received.public
    level, department, auto = cand.triage()
    offers: list[Money | None] = []
    breached, first_response, first_due, automatic = False, None, None, False
    responded: datetime | None = None
    for ep in eps:
        if ep.number > 1:
            if responded is None or responded > ep.started_at:
                break  # the customer answered an offer the candidate had not made (yet): not assumed
            level = cand.reopen(level, ep.number)
            department = department_at(department, level, cand.facts(), policy)
            auto = cand.automatic(level, ep.number)
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
            department = department_at(department, up, cand.facts(), policy)
            level, due = up, policy.first_response_due(missed, ch, sev, pub, up, department)
            climbed = cand.automatic(level, ep.number)
            if climbed is not None and (responded is None or responded > missed):
                offer, responded, made = climbed, missed, True
        breached = breached or is_breached(due, responded, False, as_of)
        offers.append(offer)
        if ep.number == 1:
            first_response, automatic = responded, made
    return Handling(level=level, department=department, automatic=automatic, offers=tuple(offers),
                                    responded_at=first_response, due_at=first_due, breached=breached)

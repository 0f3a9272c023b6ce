"""What-if: the recorded first handling of each case re-decided under a candidate policy. Pure.

For each case: who triage sends it to, whether the policy offers on its own and how much, and when
the first response is due — recorded (as the events say) against the candidate (`triage` and
`triage` prices the fair remedy under it). The first response is the earliest episode-1 offer; under the candidate, an
automatic offer answers when the case arrives (as recorded automatic offers did), a person's recorded
offer answers when it did, and a recorded automatic offer the candidate would not make leaves the
case waiting for a person (no response known). Breach is `lifecycle.is_breached` as of `as_of`.
Later episodes and the SLA ladder are not re-simulated (docs/policy.md, what-if).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from complaints.domain.case import CaseFacts
from complaints.domain.lifecycle import is_breached
from complaints.domain.policy import Policy
from complaints.domain.triage import triage
from schemas.common import Channel, Department, Level, Money
from schemas.events import ComplaintReceived, Escalated, Event, RecoveryOffered

Recorded = tuple[Event, datetime]  # an event and its time (the envelope's)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Handling(_Frozen):
    """A case's first handling, as recorded or as the candidate would decide it."""

    level: Level
    department: Department | None
    automatic: bool  # the policy offered on its own
    offer: Money | None  # the first offer's total (None: no offer known)
    responded_at: datetime | None
    due_at: datetime | None  # None: a v1 record that kept no due time
    breached: bool | None  # None: unknown (no due time)


class CaseWhatIf(_Frozen):
    complaint_id: str
    channel: Channel
    before: Handling
    after: Handling

    @property
    def changed(self) -> bool:
        return self.before != self.after


class Report(_Frozen):
    candidate: str  # its policy id
    as_of: datetime
    cases: int
    level_changes: int
    department_changes: int
    offers_differ: int
    offers_differ_total_before: dict[str, Decimal]  # per currency, over the differing offers
    offers_differ_total_after: dict[str, Decimal]
    breaches_added: int
    breaches_removed: int
    attainment_before: dict[str, float]  # per channel: share of cases answered in time (known due only)
    attainment_after: dict[str, float]
    cost_before: dict[str, Decimal]  # per currency: every first offer
    cost_after: dict[str, Decimal]
    changed: tuple[CaseWhatIf, ...]  # only the cases whose handling differs


def recorded(events: Sequence[Recorded], as_of: datetime) -> tuple[ComplaintReceived, Handling] | None:
    received = next((e for e, _ in events if isinstance(e, ComplaintReceived)), None)
    if received is None:
        return None
    first = [(e, at) for e, at in events if isinstance(e, Escalated) and e.episode == 1
             and e.reason in ("triage", "customer_request")]
    offers = sorted(((e, at) for e, at in events if isinstance(e, RecoveryOffered) and e.episode == 1),
                    key=lambda item: item[1])
    offer, offered_at = offers[0] if offers else (None, None)
    level, department = (first[0][0].level, first[0][0].department) if first else ("front_line", None)
    due = first[0][0].sla_due_at if first else received.first_response_due_at
    return received, Handling.model_construct(level=level, department=department,
                              automatic=offer is not None and offer.offered_by == "policy",
                              offer=offer.total if offer else None, responded_at=offered_at, due_at=due,
                              breached=None if due is None else is_breached(due, offered_at, False, as_of))


def redecide(received: ComplaintReceived, before: Handling, candidate: Policy, as_of: datetime) -> Handling:
    facts = CaseFacts.of(received)
    decided = triage(facts, candidate)
    if decided.auto_offer:
        offer: Money | None = decided.remedy.total  # triage priced the fair remedy under the candidate
        responded = before.responded_at if before.automatic else received.received_at
    elif before.automatic or before.offer is None:
        offer, responded = None, None  # waits for a person: no response known
    else:
        offer, responded = before.offer, before.responded_at  # a person's offer stands
    return Handling.model_construct(level=decided.level, department=decided.department,
                                    automatic=decided.auto_offer, offer=offer, responded_at=responded,
                                    due_at=decided.sla_due_at,
                                    breached=is_breached(decided.sla_due_at, responded, False, as_of))


def what_if(histories: Iterable[Sequence[Recorded]], candidate: Policy, as_of: datetime) -> Report:
    """The report over every case's recorded events (any order within a case)."""
    cases: list[CaseWhatIf] = []
    for events in histories:
        found = recorded(events, as_of)
        if found is not None:
            received, before = found
            after = redecide(received, before, candidate, as_of)
            cases.append(CaseWhatIf.model_construct(complaint_id=received.complaint_id, channel=received.channel,
                                                    before=before, after=after))
    differ = [c for c in cases if c.before.offer != c.after.offer]
    return Report(
        candidate=candidate.policy_id, as_of=as_of, cases=len(cases),
        level_changes=sum(c.before.level != c.after.level for c in cases),
        department_changes=sum(c.before.department != c.after.department for c in cases),
        offers_differ=len(differ),
        offers_differ_total_before=_totals(c.before.offer for c in differ),
        offers_differ_total_after=_totals(c.after.offer for c in differ),
        breaches_added=sum(c.before.breached is False and c.after.breached is True for c in cases),
        breaches_removed=sum(c.before.breached is True and c.after.breached is False for c in cases),
        attainment_before=_attainment((c.channel, c.before.breached) for c in cases),
        attainment_after=_attainment((c.channel, c.after.breached) for c in cases if c.before.breached is not None),
        cost_before=_totals(c.before.offer for c in cases), cost_after=_totals(c.after.offer for c in cases),
        changed=tuple(c for c in cases if c.changed),
    )


def _totals(offers: Iterable[Money | None]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(Decimal)
    for m in offers:
        if m is not None:
            out[m.currency] += m.amount
    return dict(sorted(out.items()))


def _attainment(rows: Iterable[tuple[str, bool | None]]) -> dict[str, float]:
    met: dict[str, list[bool]] = defaultdict(list)
    for channel, breached in rows:
        if breached is not None:
            met[channel].append(not breached)
    return {ch: round(sum(v) / len(v), 4) for ch, v in sorted(met.items())}

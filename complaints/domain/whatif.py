"""What-if: the recorded history of each case re-decided under a candidate policy, and the report. Pure.

Per case (`complaints/domain/whatif_cases.py`): every episode re-decided with the decision functions
— triage, reopens after unhappy answers and declines, the automatic offer each level makes, the SLA
ladder — while what people and the customer did stands as recorded. The report compares the
recorded handling with the candidate's: level and department changes, offers that differ (count and
totals per currency), SLA breaches added and removed, attainment per channel, cost (every standing
offer of every episode). Read-only and deterministic: `as_of` is given, never the wall clock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from complaints.domain.policy import Policy
from complaints.domain.whatif_cases import Candidate, Handling, Recorded, recorded, redecide
from schemas.common import Channel

__all__ = ["CaseWhatIf", "Handling", "Recorded", "Report", "what_if"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


@dataclass(frozen=True, slots=True)
class CaseWhatIf:
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
    cost_before: dict[str, Decimal]  # per currency: the standing offer of every episode
    cost_after: dict[str, Decimal]
    changed: tuple[CaseWhatIf, ...]  # only the cases whose handling differs


def what_if(histories: Iterable[Sequence[Recorded]], candidate: Policy, as_of: datetime) -> Report:
    """The report over every case's recorded events (any order within a case)."""
    decide = Candidate(candidate)
    count = levels = departments = differ = added = removed = 0
    changed: list[CaseWhatIf] = []
    cost_before: dict[str, Decimal] = defaultdict(Decimal)
    cost_after: dict[str, Decimal] = defaultdict(Decimal)
    differ_before: dict[str, Decimal] = defaultdict(Decimal)
    differ_after: dict[str, Decimal] = defaultdict(Decimal)
    met_before: dict[str, list[bool]] = defaultdict(list)
    met_after: dict[str, list[bool]] = defaultdict(list)
    for events in histories:  # one pass: the history is read once, each case's handling compared once
        found = recorded(events, as_of)
        if found is None:
            continue
        received, episodes, before = found
        after = redecide(received, episodes, decide, as_of)
        count += 1
        levels += before.level != after.level
        departments += before.department != after.department
        was, now = before.cost, after.cost
        _add(cost_before, was)
        _add(cost_after, now)
        offers_differ = before.offers != after.offers
        if offers_differ:
            differ += 1
            _add(differ_before, was)
            _add(differ_after, now)
        if before.breached is not None:
            met_before[received.channel].append(not before.breached)
            if after.breached is not None:
                met_after[received.channel].append(not after.breached)
            added += before.breached is False and after.breached is True
            removed += before.breached is True and after.breached is False
        if offers_differ or before != after:
            changed.append(CaseWhatIf(complaint_id=received.complaint_id, channel=received.channel,
                                      before=before, after=after))
    return Report.model_construct(
        candidate=candidate.policy_id, as_of=as_of, cases=count, level_changes=levels,
        department_changes=departments, offers_differ=differ,
        offers_differ_total_before=_sorted(differ_before), offers_differ_total_after=_sorted(differ_after),
        breaches_added=added, breaches_removed=removed,
        attainment_before=_attainment(met_before), attainment_after=_attainment(met_after),
        cost_before=_sorted(cost_before), cost_after=_sorted(cost_after), changed=tuple(changed))


def _add(totals: dict[str, Decimal], cost: dict[str, Decimal]) -> None:
    for currency, amount in cost.items():
        totals[currency] += amount


def _sorted(totals: dict[str, Decimal]) -> dict[str, Decimal]:
    return dict(sorted(totals.items()))


def _attainment(met: dict[str, list[bool]]) -> dict[str, float]:
    return {ch: round(sum(v) / len(v), 4) for ch, v in sorted(met.items())}

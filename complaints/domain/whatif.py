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
    cases: list[CaseWhatIf] = []
    decide = Candidate(candidate)
    for events in histories:
        found = recorded(events, as_of)
        if found is not None:
            received, episodes, before = found
            after = redecide(received, episodes, decide, as_of)
            cases.append(CaseWhatIf(complaint_id=received.complaint_id, channel=received.channel,
                                                    before=before, after=after))
    differ = [c for c in cases if c.before.offers != c.after.offers]
    return Report.model_construct(
        candidate=candidate.policy_id, as_of=as_of, cases=len(cases),
        level_changes=sum(c.before.level != c.after.level for c in cases),
        department_changes=sum(c.before.department != c.after.department for c in cases),
        offers_differ=len(differ),
        offers_differ_total_before=_sum(c.before for c in differ),
        offers_differ_total_after=_sum(c.after for c in differ),
        breaches_added=sum(c.before.breached is False and c.after.breached is True for c in cases),
        breaches_removed=sum(c.before.breached is True and c.after.breached is False for c in cases),
        attainment_before=_attainment((c.channel, c.before.breached) for c in cases),
        attainment_after=_attainment((c.channel, c.after.breached) for c in cases if c.before.breached is not None),
        cost_before=_sum(c.before for c in cases), cost_after=_sum(c.after for c in cases),
        changed=tuple(c for c in cases if c.changed),
    )


def _sum(handlings: Iterable[Handling]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(Decimal)
    for h in handlings:
        for currency, amount in h.cost.items():
            out[currency] += amount
    return dict(sorted(out.items()))


def _attainment(rows: Iterable[tuple[str, bool | None]]) -> dict[str, float]:
    met: dict[str, list[bool]] = defaultdict(list)
    for channel, breached in rows:
        if breached is not None:
            met[channel].append(not breached)
    return {ch: round(sum(v) / len(v), 4) for ch, v in sorted(met.items())}

"""KPIs as a pure function of folded cases (themselves folds of events), so they recompute exactly.

Definitions (docs/projections.md has the long form): the cohort is the cases received
in the requested window (and channel); percentiles are nearest-rank; rates are None
when their denominator is zero; money is summed exactly as decimal strings.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from complaints.readmodel.model import Case
from schemas.common import LEVELS


class Share(BaseModel):
    count: int
    share: float | None = Field(description="count / volume")


class Escalation(BaseModel):
    count: int = Field(description="Cases escalated at least once.")
    share: float | None
    by_level: dict[str, Share] = Field(description="Cases by the highest level they reached.")
    by_department: dict[str, Share] = Field(description="Cases escalated to each department (at any time).")


class Durations(BaseModel):
    count: int
    p50_s: float | None
    p90_s: float | None
    mean_s: float | None


class SlaAttainment(BaseModel):
    met: int
    breached: int
    pending: int = Field(description="Not answered yet, not yet due: left out of the rate.")
    attainment: float | None = Field(description="met / (met + breached)")


class Rate(BaseModel):
    numerator: int
    denominator: int
    rate: float | None


class Csat(BaseModel):
    responses: int
    mean: float | None


class KpiReport(BaseModel):
    volume: int = Field(description="Cases received in the window.")
    escalated: Escalation
    first_response: Durations = Field(description="First response (an offer, or a staff reply) − received, per case.")
    sla_by_channel: dict[str, SlaAttainment] = Field(description="First response within its SLA, per channel.")
    time_to_resolution: Durations = Field(description="Episode start → its follow-up, per ended episode.")
    recovery_rate: Rate = Field(description="Closed satisfied / closed (staff closures as abuse or duplicate "
                                "left out).")
    csat_after_recovery: Csat = Field(description="Mean CSAT over follow-ups that carry one.")
    reopen_rate: Rate = Field(description="Cases reopened at least once / cases followed up at least once.")
    no_response_rate: Rate = Field(description="Follow-ups with outcome no_response / follow-ups.")
    recovery_cost: dict[str, dict[str, str]] = Field(
        description="currency -> remedy type -> summed amount (offers not superseded); 'total' per currency.")


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile: the ceil(p·n)-th smallest value."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(p * len(ordered)), 1) - 1]


def durations(values: list[float]) -> Durations:
    mean = sum(values) / len(values) if values else None
    return Durations(count=len(values), p50_s=percentile(values, 0.5), p90_s=percentile(values, 0.9), mean_s=mean)


def rate(numerator: int, denominator: int) -> Rate:
    return Rate(numerator=numerator, denominator=denominator, rate=numerator / denominator if denominator else None)


def compute_kpis(cases: Iterable[Case], now: datetime) -> KpiReport:
    volume = escalated = closed = closed_satisfied = followed = reopened = follow_ups = no_response = 0
    by_level: dict[str, int] = defaultdict(int)
    by_department: dict[str, int] = defaultdict(int)
    first_response: list[float] = []
    resolution: list[float] = []
    csats: list[int] = []
    sla: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # met, breached, pending
    cost: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for case in cases:
        volume += 1
        if case.escalations:
            escalated += 1
            by_level[max((e.level for e in case.escalations), key=LEVELS.index)] += 1
            for dept in {e.department for e in case.escalations if e.department}:
                by_department[dept] += 1
        if case.received_at and case.first_response_at:
            first_response.append((case.first_response_at - case.received_at).total_seconds())
        if case.channel:
            sla[case.channel][_sla_state(case, now)] += 1
        for ep in case.episodes:
            if ep.started_at and ep.ended_at:
                resolution.append((ep.ended_at - ep.started_at).total_seconds())
        if case.status == "closed" and (case.closure is None or case.closure.reason == "resolved"):
            closed += 1  # spam and duplicates closed by staff are no customer to win back
            closed_satisfied += case.outcome is not None and case.outcome.outcome == "satisfied"
        if case.follow_ups:
            followed += 1
            reopened += case.reopen_count > 0
        for fu in case.follow_ups:
            follow_ups += 1
            no_response += fu.outcome == "no_response"
            if fu.csat is not None:
                csats.append(fu.csat)
        for offer in case.offers:
            if offer.superseded_by is None:
                for remedy in offer.remedies:
                    if remedy.amount is not None:
                        cost[remedy.amount.currency][remedy.type] += remedy.amount.amount
                        cost[remedy.amount.currency]["total"] += remedy.amount.amount

    def share(n: int) -> Share:
        return Share(count=n, share=n / volume if volume else None)

    return KpiReport(
        volume=volume,
        escalated=Escalation(count=escalated, share=share(escalated).share,
                             by_level={lv: share(by_level[lv]) for lv in LEVELS if lv in by_level},
                             by_department={d: share(n) for d, n in sorted(by_department.items())}),
        first_response=durations(first_response),
        sla_by_channel={ch: SlaAttainment(met=m, breached=b, pending=p, attainment=m / (m + b) if m + b else None)
                        for ch, (m, b, p) in sorted(sla.items())},
        time_to_resolution=durations(resolution),
        recovery_rate=rate(closed_satisfied, closed),
        csat_after_recovery=Csat(responses=len(csats), mean=sum(csats) / len(csats) if csats else None),
        reopen_rate=rate(reopened, followed),
        no_response_rate=rate(no_response, follow_ups),
        recovery_cost={cur: {k: format(v, "f") for k, v in sorted(items.items())}
                       for cur, items in sorted(cost.items())},
    )


def _sla_state(case: Case, now: datetime) -> int:
    """0 met, 1 breached, 2 pending — for the case's first response."""
    if case.first_response_at is not None:
        return 0 if case.first_response_sla_met else 1
    due = case.sla.due_at
    return 1 if case.sla.breached or (due is not None and due < now) else 2

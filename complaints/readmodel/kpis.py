"""KPIs as a pure function of folded cases (themselves folds of events), so they recompute exactly.

Definitions (docs/projections.md has the long form): the cohort is the cases received
in the requested window (and channel); percentiles are nearest-rank over whole seconds
(floored), means exact from microseconds; rates are None when their denominator is zero;
money is summed exactly as decimals.

One definition, two uses: `contributions` says what ONE case adds to the KPIs (from its
JSON document), a `Tally` sums contributions exactly (integers only, so any grouping of
cases gives the same sums), and `report` turns a tally into the figures. `compute_kpis`
folds cases this way; the read model keeps the same tallies per day and channel as it
applies events (`services/projections/storage/kpistore.py`) and sums them for a window.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

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


class Given(BaseModel):
    count: int
    total: str = Field(description="Exact decimal sum.")


class Compensation(BaseModel):
    offered: Given = Field(description="Offers not superseded by a later one: their totals.")
    accepted: Given = Field(description="Of those, the ones the customer accepted: their totals.")
    fulfilled: Given = Field(description="Fulfilments recorded for them: what was actually given.")


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
    compensation: dict[str, Compensation] = Field(
        default_factory=dict, description="Per currency: offered vs accepted vs fulfilled (counts, exact totals).")


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile: the ceil(p·n)-th smallest value."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(p * len(ordered)), 1) - 1]


def rate(numerator: int, denominator: int) -> Rate:
    return Rate(numerator=numerator, denominator=denominator, rate=numerator / denominator if denominator else None)


#: A contribution: (metric, key, count, integer total). Keys of duration metrics are whole seconds,
#: their totals microseconds; `sla_due` keys are "channel|due time" (decided against `now` at report);
#: `cost` keys "currency|remedy type|decimal places", totals in units of those places.
Contribution = tuple[str, str, int, int]
_MICRO = timedelta(microseconds=1)


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _duration(metric: str, start: str, end: str) -> Contribution:
    micros = (_t(end) - _t(start)) // _MICRO
    return (metric, str(micros // 1_000_000), 1, micros)


def _money(currency: str, kind: str, amount: str, metric: str = "cost") -> Contribution:
    value = Decimal(amount)
    places = -int(value.as_tuple().exponent)
    return (metric, f"{currency}|{kind}|{places}", 1, int(value.scaleb(places)))


def contributions(doc: Mapping[str, Any]) -> Iterator[Contribution]:
    """What one case (its JSON document, as the read model stores it) adds to the KPIs of its cohort."""
    if doc.get("received_at") is None:
        return  # not received (yet): in no cohort
    yield ("volume", "", 1, 0)
    escalations = doc["escalations"]
    if escalations:
        yield ("escalated", "", 1, 0)
        yield ("by_level", max((e["level"] for e in escalations), key=LEVELS.index), 1, 0)
        for dept in sorted({e["department"] for e in escalations if e["department"]}):
            yield ("by_department", dept, 1, 0)
    if doc["first_response_at"]:
        yield _duration("first_response", doc["received_at"], doc["first_response_at"])
    if doc["channel"]:
        yield _sla(doc)
    for ep in doc["episodes"]:
        if ep["started_at"] and ep["ended_at"]:
            yield _duration("time_to_resolution", ep["started_at"], ep["ended_at"])
    closure = doc.get("closure")
    if doc["status"] == "closed" and (closure is None or closure["reason"] == "resolved"):
        yield ("closed", "", 1, 0)  # spam and duplicates closed by staff are no customer to win back
        outcome = doc["outcome"]
        if outcome is not None and outcome["outcome"] == "satisfied":
            yield ("closed_satisfied", "", 1, 0)
    follow_ups = doc["follow_ups"]
    if follow_ups:
        yield ("followed", "", 1, 0)
        if doc["reopen_count"] > 0:
            yield ("reopened", "", 1, 0)
        yield ("follow_ups", "", len(follow_ups), 0)
        no_response = sum(fu["outcome"] == "no_response" for fu in follow_ups)
        if no_response:
            yield ("no_response", "", no_response, 0)
        for fu in follow_ups:
            if fu["csat"] is not None:
                yield ("csat", "", 1, fu["csat"])
    for offer in doc["offers"]:
        if offer["superseded_by"] is None:
            for remedy in offer["remedies"]:
                amount = remedy.get("amount")
                if amount is not None:
                    yield _money(amount["currency"], remedy["type"], amount["amount"])
                    yield _money(amount["currency"], "total", amount["amount"])
            yield from _compensation(offer)


def _compensation(offer: Mapping[str, Any]) -> Iterator[Contribution]:
    """An offer still standing: offered; accepted by the customer; fulfilled (for what it cost)."""
    total = offer["total"]
    yield _money(total["currency"], "offered", total["amount"], "compensation")
    if offer.get("accepted_at") is not None:
        yield _money(total["currency"], "accepted", total["amount"], "compensation")
    given = offer.get("fulfilled")
    if given is not None:
        yield _money(given["amount"]["currency"], "fulfilled", given["amount"]["amount"], "compensation")


def _sla(doc: Mapping[str, Any]) -> Contribution:
    """The case's first response against its SLA: met, breached, pending, or due (breached once `now` passes)."""
    channel = doc["channel"]
    if doc["first_response_at"] is not None:
        return ("sla_met" if doc["first_response_sla_met"] else "sla_breached", channel, 1, 0)
    sla = doc["sla"]
    if sla["breached"]:
        return ("sla_breached", channel, 1, 0)
    due = sla["due_at"]
    return ("sla_pending", channel, 1, 0) if due is None else ("sla_due", f"{channel}|{due}", 1, 0)


class Tally:
    """Summed contributions: metric -> key -> [count, total], integers only (exact, in any grouping)."""

    def __init__(self) -> None:
        self.sums: dict[str, dict[str, list[int]]] = defaultdict(dict)

    def add(self, items: Iterable[Contribution], sign: int = 1) -> Tally:
        sums = self.sums
        for metric, key, n, total in items:
            cell = sums[metric].get(key)
            if cell is None:
                sums[metric][key] = [sign * n, sign * total]
            else:
                cell[0] += sign * n
                cell[1] += sign * total
        return self

    def n(self, metric: str, key: str = "") -> int:
        cell = self.sums.get(metric, {}).get(key)
        return cell[0] if cell else 0

    def keyed(self, metric: str) -> Iterator[tuple[str, int, int]]:
        for key, (n, total) in self.sums.get(metric, {}).items():
            if n:
                yield key, n, total


#: The duration metrics (keys: whole seconds) and the nearest-rank percentiles reported for them.
DURATIONS = ("first_response", "time_to_resolution")
PERCENTILES = (0.5, 0.9)


def rank(p: float, count: int) -> int:
    """The nearest rank of percentile p among `count` values: the ceil(p·count)-th smallest (at least the 1st)."""
    return max(math.ceil(p * count), 1)


def at_ranks(histogram: Iterable[tuple[int, int]], ranks: Iterable[int]) -> dict[int, int]:
    """For each rank, the smallest key of the (key, count) histogram whose cumulative count reaches it."""
    wanted, found, seen = sorted(set(ranks)), dict[int, int](), 0
    for key, n in sorted(histogram):
        seen += n
        while len(found) < len(wanted) and seen >= wanted[len(found)]:
            found[wanted[len(found)]] = key
        if len(found) == len(wanted):
            break
    return found


def durations_of(tally: Tally, metric: str) -> Durations:
    """Count, nearest-rank p50/p90 (whole seconds) and exact mean of one duration metric."""
    histogram = [(int(key), n, total) for key, n, total in tally.keyed(metric)]
    count = sum(n for _, n, _ in histogram)
    if not count:
        return Durations(count=0, p50_s=None, p90_s=None, mean_s=None)
    ranks = [rank(p, count) for p in PERCENTILES]
    found = at_ranks(((seconds, n) for seconds, n, _ in histogram), ranks)
    micros = sum(total for _, _, total in histogram)
    return Durations(count=count, p50_s=float(found[ranks[0]]), p90_s=float(found[ranks[1]]),
                     mean_s=micros / count / 1e6)


def report(tally: Tally, now: datetime) -> KpiReport:
    """The KPIs of a cohort from its tally; `now` decides which unanswered first responses are breached."""
    volume = tally.n("volume")

    def share(n: int) -> Share:
        return Share(count=n, share=n / volume if volume else None)

    sla: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # met, breached, pending
    for index, metric in enumerate(("sla_met", "sla_breached", "sla_pending")):
        for channel, n, _ in tally.keyed(metric):
            sla[channel][index] += n
    for key, n, _ in tally.keyed("sla_due"):
        channel, _, due = key.partition("|")
        sla[channel][1 if _t(due) < now else 2] += n
    cost: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for key, _, units in tally.keyed("cost"):
        currency, kind, places = key.split("|")
        cost[currency][kind] += Decimal(units).scaleb(-int(places))
    given: dict[str, dict[str, list[Any]]] = defaultdict(
        lambda: {stage: [0, Decimal()] for stage in ("offered", "accepted", "fulfilled")})
    for key, n, units in tally.keyed("compensation"):
        currency, stage, places = key.split("|")
        given[currency][stage][0] += n
        given[currency][stage][1] += Decimal(units).scaleb(-int(places))
    csat_n, csat_sum = tally.n("csat"), sum(total for _, _, total in tally.keyed("csat"))
    by_level = {key: n for key, n, _ in tally.keyed("by_level")}
    escalated = tally.n("escalated")
    return KpiReport(
        volume=volume,
        escalated=Escalation(count=escalated, share=share(escalated).share,
                             by_level={lv: share(by_level[lv]) for lv in LEVELS if lv in by_level},
                             by_department={d: share(n) for d, n, _ in sorted(tally.keyed("by_department"))}),
        first_response=durations_of(tally, "first_response"),
        sla_by_channel={ch: SlaAttainment(met=m, breached=b, pending=p, attainment=m / (m + b) if m + b else None)
                        for ch, (m, b, p) in sorted(sla.items())},
        time_to_resolution=durations_of(tally, "time_to_resolution"),
        recovery_rate=rate(tally.n("closed_satisfied"), tally.n("closed")),
        csat_after_recovery=Csat(responses=csat_n, mean=csat_sum / csat_n if csat_n else None),
        reopen_rate=rate(tally.n("reopened"), tally.n("followed")),
        no_response_rate=rate(tally.n("no_response"), tally.n("follow_ups")),
        recovery_cost={cur: {k: format(v, "f") for k, v in sorted(items.items())}
                       for cur, items in sorted(cost.items())},
        compensation={cur: Compensation(**{stage: Given(count=n, total=format(v, "f"))
                                           for stage, (n, v) in stages.items()})
                      for cur, stages in sorted(given.items())},
    )


def tally_cases(cases: Iterable[Case]) -> Tally:
    tally = Tally()
    for case in cases:
        tally.add(contributions(case.model_dump(mode="json")))
    return tally


def compute_kpis(cases: Iterable[Case], now: datetime) -> KpiReport:
    """The reference: the KPIs of these cases (those received), from their contributions."""
    return report(tally_cases(cases), now)

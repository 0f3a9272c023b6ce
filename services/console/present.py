"""What the console's pages show, as pure functions of the APIs' answers (no I/O, unit-tested).

The rules themselves stay where they are defined: the fair remedy is `complaints.domain.remedy`,
the authority limits are the policy's, the SLA state is the read model's; this only words them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from complaints.domain.case import CaseFacts
from complaints.domain.levels import rank
from complaints.domain.policy import Policy
from complaints.domain.remedy import fair_remedy
from complaints.domain.wording import LEVEL_LABELS, show, words
from schemas.common import Level, Money
from schemas.events import Remedy


def parse_time(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def duration(seconds: float) -> str:
    """`1 h 05 min`, `12 min`, `40 s`, `3 d 2 h`."""
    s = int(abs(seconds))
    days, hours, minutes = s // 86400, s % 86400 // 3600, s % 3600 // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min" if minutes else f"{s} s"


@dataclass(frozen=True)
class Countdown:
    text: str
    tone: str  # "breached", "soon", "ok", "none"


def countdown(sla: Mapping[str, Any], now: datetime, soon_s: float = 900) -> Countdown:
    """The first-response SLA in words: overdue, due soon, due later, or answered / nothing pending."""
    due = parse_time(sla.get("due_at"))
    if sla.get("breached"):
        if sla.get("responded_at") and not sla.get("awaiting_response"):
            return Countdown("answered (SLA breached earlier)", "breached")
        late = f" by {duration((now - due).total_seconds())}" if due and due <= now else ""
        return Countdown(f"SLA breached{late}", "breached")
    if not sla.get("awaiting_response") or due is None:
        return Countdown("answered" if sla.get("responded_at") else "nothing pending", "none")
    left = (due - now).total_seconds()
    if left <= 0:
        return Countdown(f"overdue by {duration(left)}", "breached")
    return Countdown(f"due in {duration(left)}", "soon" if left <= soon_s else "ok")


def queue_order(items: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Breached first, then public, each group in the API's (urgency) order."""
    return sorted(items, key=lambda c: (not (c.get("sla") or {}).get("breached"), not c.get("public")))


@dataclass(frozen=True)
class Proposal:
    """The policy's fair remedy for the case, and whether the signed-in level may offer it."""

    remedies: tuple[Remedy, ...]
    total: Money
    limit: Money | None
    within: bool
    escalate_to: Level | None  # the lowest level whose authority covers it, when above mine
    notes: tuple[str, ...] = ()

    @property
    def words(self) -> str:
        if self.within:
            return f"Within your authority ({show(self.limit)})."
        who = (f"{LEVEL_LABELS[self.escalate_to]} can make it" if self.escalate_to
               else "no level's authority covers it")
        return f"Above your authority ({show(self.limit)}): {who}."


def facts_of(case: Mapping[str, Any]) -> CaseFacts | None:
    """The facts the fair remedy depends on, from the case view (None for a case not yet received)."""
    try:
        known = {k: v for k, v in case.items() if k in CaseFacts.model_fields}
        return CaseFacts.model_validate({**known, "customer_ref": case.get("customer_ref") or "-",
                                         "wants_human": bool(case.get("wants_human")),
                                         "prior_complaints": case.get("prior_complaints") or 0})
    except ValidationError:
        return None


def propose(case: Mapping[str, Any], policy: Policy, level: Level) -> Proposal | None:
    facts = facts_of(case)
    if facts is None:
        return None
    fair = fair_remedy(facts, int(case.get("episode") or 1), policy)
    limit = policy.authority(level, fair.total.currency)
    within = limit is not None and fair.total.amount <= limit.amount
    above: Level | None = None
    if not within:
        could = policy.covering_level(fair.total, level)
        above = could if could is not None and rank(could) > rank(level) else None
    return Proposal(fair.remedies, fair.total, limit, within, above, fair.notes)


def remedy_label(remedy: Remedy) -> str:
    return words(remedy.type) + (f" ({show(remedy.amount)})" if remedy.amount else "")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # 0..1 for rates; None: no data
    text: str


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f} %"


def sla_bars(kpis: Mapping[str, Any]) -> list[Bar]:
    return [Bar(words(channel), s.get("attainment"),
                f"{percent(s.get('attainment'))} ({s.get('met', 0)} met, {s.get('breached', 0)} breached)")
            for channel, s in sorted((kpis.get("sla_by_channel") or {}).items())]


def rate_bars(kpis: Mapping[str, Any]) -> list[Bar]:
    rec, reo, nr = (kpis.get(k) or {} for k in ("recovery_rate", "reopen_rate", "no_response_rate"))
    csat = (kpis.get("csat_after_recovery") or {}).get("mean")
    return [
        Bar("recovery rate", rec.get("rate"), f"{percent(rec.get('rate'))} of {rec.get('denominator', 0)} closed"),
        Bar("reopen rate", reo.get("rate"), f"{percent(reo.get('rate'))} of {reo.get('denominator', 0)} followed up"),
        Bar("no response", nr.get("rate"), f"{percent(nr.get('rate'))} of {nr.get('denominator', 0)} follow-ups"),
        Bar("CSAT (mean, of 5)", None if csat is None else csat / 5, "–" if csat is None else f"{csat:.1f} / 5"),
    ]


def first_response_text(kpis: Mapping[str, Any]) -> str:
    fr = kpis.get("first_response") or {}
    if not fr.get("count"):
        return "no first responses yet"
    return (f"median {duration(fr['p50_s'])}, 90 % within {duration(fr['p90_s'])} "
            f"({fr['count']} cases)")


def cost_series(windows: Iterable[tuple[str, Mapping[str, Any]]]) -> tuple[list[Bar], str]:
    """Recovery cost per window in the currency with most spend, scaled to the largest window."""
    rows = [(label, {cur: Decimal(items.get("total", "0")) for cur, items in (k.get("recovery_cost") or {}).items()})
            for label, k in windows]
    totals: dict[str, Decimal] = {}
    for _, per in rows:
        for cur, amount in per.items():
            totals[cur] = totals.get(cur, Decimal(0)) + amount
    currency = max(totals, key=lambda c: totals[c]) if totals else "USD"
    top = max((per.get(currency, Decimal(0)) for _, per in rows), default=Decimal(0))
    bars = [Bar(label, float(per.get(currency, Decimal(0)) / top) if top else 0.0,
                f"{currency} {per.get(currency, Decimal(0)):.2f}") for label, per in rows]
    return bars, currency

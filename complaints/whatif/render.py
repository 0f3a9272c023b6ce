"""The what-if report as text for people (the JSON is the report model's own)."""

from __future__ import annotations

from decimal import Decimal

from complaints.domain.whatif import Report
from schemas.common import Money


def _money(totals: dict[str, Decimal]) -> str:
    return ", ".join(f"{c} {a:.2f}" for c, a in totals.items()) or "nothing"


def _share(table: dict[str, float]) -> str:
    return ", ".join(f"{ch} {v:.0%}" for ch, v in table.items()) or "no case with a known due time"


def _offers(offers: tuple[Money | None, ...]) -> str:
    return " + ".join(f"{m.amount}" if m else "-" for m in offers)  # one per episode


def text(report: Report, limit: int = 20) -> str:
    lines = [
        f"what-if under {report.candidate}, as of {report.as_of.isoformat()}: {report.cases} cases",
        f"  level changes: {report.level_changes}; department changes: {report.department_changes}",
        f"  offers that differ: {report.offers_differ} "
        f"(before {_money(report.offers_differ_total_before)}; after {_money(report.offers_differ_total_after)})",
        f"  SLA breaches added: {report.breaches_added}; removed: {report.breaches_removed}",
        f"  attainment before: {_share(report.attainment_before)}",
        f"  attainment after:  {_share(report.attainment_after)}",
        f"  cost before: {_money(report.cost_before)}; after: {_money(report.cost_after)}",
    ]
    for case in report.changed[:limit]:
        b, a = case.before, case.after
        offer = f"{_offers(b.offers)} -> {_offers(a.offers)}"
        lines.append(f"  {case.complaint_id} ({case.channel}): {b.level} -> {a.level}, offers {offer}, "
                     f"breached {b.breached} -> {a.breached}")
    if len(report.changed) > limit:
        lines.append(f"  … and {len(report.changed) - limit} more changed cases (--json for all)")
    return "\n".join(lines)

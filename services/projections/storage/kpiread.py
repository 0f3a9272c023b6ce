"""`GET /kpis` from the tallies (`kpistore`): the whole years, months, days and hours of a window, plus its edges.

The window's whole UTC hours split into whole years (their 'y' rows), the months around them ('m' rows),
the days around those ('d') and the hours around those ('h': `kpispans.spans`); the cases received in the
partial hours at the edges (at most ~2 × 115 at 2,740 cases a day) are folded from their documents into
the same stored cells. Tier 0 is summed over all of it in one statement; then, in one statement, the
coarse buckets holding each duration percentile's rank in fine buckets (tier 1), and in one more the fine
buckets holding them in exact values (tier 2, over the whole hours; not for a bucket one second wide:
its value is exact already) beside `now`'s due day's exact due times — a few hundred rows at most,
however long the window. `kpis.report` turns the result into the figures, as for `compute_kpis`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic_core import from_json
from sqlalchemy import Connection, func, select, union_all

from complaints.readmodel.kpis import DURATIONS, PERCENTILES, KpiReport, Tally, contributions, rank, report
from complaints.readmodel.kpispans import Span, edges, label, spans, whole
from complaints.readmodel.kpitiers import (
    BITS,
    FLOOR,
    SEPARATORS,
    Histogram,
    decide_due,
    histogram,
    holding,
    put,
    refine,
    stored,
    tier_of,
    wide,
)
from services.projections.storage.codec import naive
from services.projections.storage.store import Generation


class Window:
    """The tallies' rows of one window and channel, plus its edge cases' cells (`edge`, by stored metric).

    `spans`: its whole years, months, days and hours (tiers 0, 1); `hours`: its whole hours (tier 2), [] when
    none."""

    def __init__(self, conn: Connection, gen: Generation, start: datetime | None, end: datetime | None,
                 channel: str | None) -> None:
        self.conn, self.k, self.channel, self.edge = conn, gen.tables.kpis.c, channel, Tally()
        self.spans = spans(start, end)
        self.hours: list[Span] = [("h", start, end)] if self.spans else []

    def _where(self, span: Span) -> list[Any]:
        k, (kind, lo, hi) = self.k, span
        where = [k.span == kind]
        if lo is not None:
            where.append(k.day >= label(kind, lo))
        if hi is not None:
            where.append(k.day < label(kind, hi))
        return where if self.channel is None else [*where, k.channel == self.channel]

    def _sum(self, parts: list[Span], *where: Any) -> Tally:
        """The rows of these spans, summed per metric and key: one statement (each span one index range)."""
        k, out = self.k, Tally()
        if not parts:
            return out
        ranges = [select(k.metric, k.key, k.n, k.total).where(*where, *self._where(span)) for span in parts]
        rows = (ranges[0] if len(ranges) == 1 else union_all(*ranges)).subquery()
        query = select(rows.c.metric, rows.c.key, func.sum(rows.c.n), func.sum(rows.c.total))
        out.add((m, key, int(n), int(t)) for m, key, n, t in self.conn.execute(
            query.group_by(rows.c.metric, rows.c.key)))
        return out

    def summary(self) -> Tally:
        """Tier 0 of the window."""
        return self._sum(self.spans, self.k.tier == 0).add(
            (m, key, n, t) for m, keys in self.edge.sums.items() if tier_of(m) == 0 for key, (n, t) in keys.items())

    def rows(self, metrics: Iterable[str]) -> Tally:
        """The rows of these tier 1 or tier 2 metrics (all of one tier) in the window."""
        names = sorted(set(metrics))
        if not names:
            return Tally()
        parts = self.hours if tier_of(names[0]) == 2 else self.spans
        return self._sum(parts, self.k.metric.in_(names)).add(
            (m, key, n, t) for m in names for key, (n, t) in self.edge.sums.get(m, {}).items())


def kpi_report(gen: Generation, received_from: datetime | None, received_to: datetime | None,
               channel: str | None, now: datetime) -> KpiReport:
    """The KPIs of the cases received in [from, to) (and channel): tallies of whole hours + the edges' cases."""
    with gen.engine.connect() as conn:
        window = Window(conn, gen, *whole(received_from, received_to), channel)
        folded = Tally()  # the edge cases' contributions, summed, then stored in tiers once
        for lo, hi in edges(received_from, received_to):
            _fold_cases(conn, gen, lo, hi, channel, folded)
        window.edge.add((m, key, n, t) for _, m, key, n, t in stored(
            (m, key, n, t) for m, keys in folded.sums.items() for key, (n, t) in keys.items()))
        tally, today = decide_due(window.summary(), now)
        hists = {metric: histogram(tally, metric) for metric in DURATIONS}
        ranks = {metric: [rank(p, count) for p in PERCENTILES] if (count := sum(n for n, _ in hist.values()))
                 else [] for metric, hist in hists.items()}
        coarse = {metric: holding(hist, ranks[metric]) for metric, hist in hists.items()}
        _refine(hists, coarse, window.rows(_names(coarse, SEPARATORS[0])), SEPARATORS[0])
        fine = {metric: [b for b in holding(hist, ranks[metric]) if wide(b, BITS[1], FLOOR[1]) > 1]
                for metric, hist in hists.items()}
        exact = window.rows([f"sla_due#{today}", *_names(fine, SEPARATORS[1])])
        _refine(hists, fine, exact, SEPARATORS[1])
        for metric, hist in hists.items():
            put(tally, metric, hist)
        tally.add(("sla_due", key, n, t) for key, (n, t) in exact.sums.get(f"sla_due#{today}", {}).items())
    return report(tally, now)


def _names(held: dict[str, list[int]], separator: str) -> list[str]:
    return [f"{metric}{separator}{b}" for metric, buckets in held.items() for b in buckets]


def _refine(hists: dict[str, Histogram], held: dict[str, list[int]], found: Tally, separator: str) -> None:
    """Each held bucket replaced by its parts, as found (`kpitiers.refine`)."""
    for metric, buckets in held.items():
        hists[metric] = refine(hists[metric], {b: histogram(found, f"{metric}{separator}{b}") for b in buckets})


def _fold_cases(conn: Connection, gen: Generation, received_from: datetime | None, received_to: datetime | None,
                channel: str | None, tally: Tally) -> None:
    c = gen.tables.cases.c
    where: list[Any] = [c.received_at.is_not(None)]
    if channel is not None:
        where.append(c.channel == channel)
    if received_from is not None:
        where.append(c.received_at >= naive(received_from))
    if received_to is not None:
        where.append(c.received_at < naive(received_to))
    docs = conn.execute(select(c.doc).where(*where).execution_options(yield_per=1000)).scalars()
    tally.add(item for doc in docs for item in contributions(from_json(doc)))

"""`GET /kpis` from the tallies (`kpistore`): the whole months, days and hours of a window, plus its edges' cases.

The window's whole UTC hours split into whole months (their 'm' rows), the days around them ('d' rows)
and the hours around those ('h' rows: `kpispans.spans`); the cases received in the partial hours at the
edges (at most ~2 × 115 at 2,740 cases a day) are folded from their documents into the same stored
cells. Tier 0 is summed over all of it; then `now`'s due day is read exactly (tier 2, over the whole
hours), and for each duration metric the bucket holding each percentile's rank is read in fine buckets
(tier 1), the fine bucket holding it in exact values (tier 2) — a few hundred rows at most, however long
the window. `kpis.report` turns the result into the figures, as for `compute_kpis`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic_core import from_json
from sqlalchemy import Connection, func, select

from complaints.readmodel.kpis import DURATIONS, PERCENTILES, KpiReport, Tally, contributions, rank, report
from complaints.readmodel.kpispans import HOUR, Span, edges, label, spans, whole
from complaints.readmodel.kpitiers import (
    SEPARATORS,
    Children,
    Histogram,
    decide_due,
    histogram,
    put,
    refine,
    stored,
    tier_of,
)
from services.projections.storage.codec import naive
from services.projections.storage.store import Generation


class Window:
    """The tallies' rows of one window and channel, plus its edge cases' cells (`edge`, by stored metric).

    `spans`: its whole months, days and hours (tiers 0, 1); `hours`: its whole hours (tier 2), [] when none."""

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
        k, out = self.k, Tally()
        for span in parts:
            query = select(k.metric, k.key, func.sum(k.n), func.sum(k.total)).where(*where, *self._where(span))
            out.add((m, key, int(n), int(t)) for m, key, n, t in self.conn.execute(query.group_by(k.metric, k.key)))
        return out

    def summary(self) -> Tally:
        """Tier 0 of the window."""
        return self._sum(self.spans, self.k.tier == 0).add(
            (m, key, n, t) for m, keys in self.edge.sums.items() if tier_of(m) == 0 for key, (n, t) in keys.items())

    def rows(self, metrics: Iterable[str]) -> Tally:
        """The rows of these tier 1 or tier 2 metrics (all of one tier) in the window."""
        names = sorted(set(metrics))
        parts = self.hours if names and tier_of(names[0]) == 2 else self.spans
        return self._sum(parts, self.k.metric.in_(names)).add(
            (m, key, n, t) for m in names for key, (n, t) in self.edge.sums.get(m, {}).items())

    def children(self, metric: str, separator: str) -> Children:
        def read(keys: list[int]) -> dict[int, Histogram]:
            found = self.rows(f"{metric}{separator}{b}" for b in keys)
            return {b: histogram(found, f"{metric}{separator}{b}") for b in keys}
        return read


def kpi_report(gen: Generation, received_from: datetime | None, received_to: datetime | None,
               channel: str | None, now: datetime) -> KpiReport:
    """The KPIs of the cases received in [from, to) (and channel): tallies of whole hours + the edges' cases."""
    with gen.engine.connect() as conn:
        window = Window(conn, gen, *whole(received_from, received_to, HOUR), channel)
        folded = Tally()  # the edge cases' contributions, summed, then stored in tiers once
        for lo, hi in edges(received_from, received_to):
            _fold_cases(conn, gen, lo, hi, channel, folded)
        window.edge.add((m, key, n, t) for _, m, key, n, t in stored(
            (m, key, n, t) for m, keys in folded.sums.items() for key, (n, t) in keys.items()))
        tally, today = decide_due(window.summary(), now)
        due = window.rows([f"sla_due#{today}"]).sums.get(f"sla_due#{today}", {})
        tally.add(("sla_due", key, n, t) for key, (n, t) in due.items())
        for metric in DURATIONS:
            hist = histogram(tally, metric)
            count = sum(n for n, _ in hist.values())
            ranks = [rank(p, count) for p in PERCENTILES] if count else []
            for separator in SEPARATORS:
                hist = refine(hist, ranks, window.children(metric, separator))
            put(tally, metric, hist)
    return report(tally, now)


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

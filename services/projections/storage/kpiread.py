"""`GET /kpis` from the tallies (`kpistore`): the whole months and days of a window, plus its edge days' cases.

The window's whole UTC days [start, end) split into whole months (their 'm' rows) and the days before
and after them ('d' rows); the cases received in the partial days at the edges are folded from their
documents into the same stored cells. Tier 0 is summed over all of it; then `now`'s due day is read
exactly (tier 2), and for each duration metric the bucket holding each percentile's rank is read in fine
buckets (tier 1), the fine bucket holding it in exact values (tier 2) — a few hundred rows at most,
however long the window. `kpis.report` turns the result into the figures, as for `compute_kpis`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from pydantic_core import from_json
from sqlalchemy import Connection, func, select

from complaints.readmodel.kpis import DURATIONS, PERCENTILES, KpiReport, Tally, contributions, rank, report
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
from complaints.readmodel.model import utc
from services.projections.storage.codec import naive
from services.projections.storage.store import Generation

DAY = timedelta(days=1)
Period = tuple[str, datetime | None, datetime | None]  # span ('d' / 'm'), first day, end (None: unbounded)


def _day_floor(moment: datetime) -> datetime:
    return utc(moment).replace(hour=0, minute=0, second=0, microsecond=0)


def whole_days(received_from: datetime | None, received_to: datetime | None) -> tuple[datetime | None, datetime | None]:
    """The whole UTC days inside [from, to): (first day's start, end of the last) — None: unbounded."""
    start = None if received_from is None else _day_floor(received_from)
    if start is not None and received_from is not None and start < utc(received_from):
        start += DAY
    end = None if received_to is None else _day_floor(received_to)
    return start, end


def periods(start: datetime | None, end: datetime | None) -> list[Period]:
    """Whole days [start, end) as whole months and the days around them."""
    first = None if start is None else start if start.day == 1 else (start.replace(day=1) + 32 * DAY).replace(day=1)
    last = None if end is None else end.replace(day=1)
    if first is not None and last is not None and first >= last:
        return [("d", start, end)]
    out: list[Period] = [("m", first, last)]
    if start is not None and first is not None and start < first:
        out.append(("d", start, first))
    if end is not None and last is not None and last < end:
        out.append(("d", last, end))
    return out


class Window:
    """The tallies' rows of one window and channel, plus its edge cases' cells (`edge`, by stored metric).

    `spans`: its whole months and days (tiers 0, 1); `days`: its whole days (tier 2), None: no whole day."""

    def __init__(self, conn: Connection, gen: Generation, start: datetime | None, end: datetime | None,
                 channel: str | None) -> None:
        self.conn, self.k, self.channel, self.edge = conn, gen.tables.kpis.c, channel, Tally()
        whole = start is None or end is None or start < end
        self.spans = periods(start, end) if whole else []
        self.days: list[Period] = [("d", start, end)] if whole else []

    def _where(self, span: Period) -> list[Any]:
        k, (kind, lo, hi) = self.k, span
        where = [k.span == kind]
        if lo is not None:
            where.append(k.day >= lo.date().isoformat())
        if hi is not None:
            where.append(k.day < hi.date().isoformat())
        return where if self.channel is None else [*where, k.channel == self.channel]

    def _sum(self, spans: list[Period], *where: Any) -> Tally:
        k, out = self.k, Tally()
        for span in spans:
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
        spans = self.days if names and tier_of(names[0]) == 2 else self.spans
        return self._sum(spans, self.k.metric.in_(names)).add(
            (m, key, n, t) for m in names for key, (n, t) in self.edge.sums.get(m, {}).items())

    def children(self, metric: str, separator: str) -> Children:
        def read(keys: list[int]) -> dict[int, Histogram]:
            found = self.rows(f"{metric}{separator}{b}" for b in keys)
            return {b: histogram(found, f"{metric}{separator}{b}") for b in keys}
        return read


def kpi_report(gen: Generation, received_from: datetime | None, received_to: datetime | None,
               channel: str | None, now: datetime) -> KpiReport:
    """The KPIs of the cases received in [from, to) (and channel): tallies of whole days + the edges' cases."""
    start, end = whole_days(received_from, received_to)
    with gen.engine.connect() as conn:
        window = Window(conn, gen, start, end, channel)
        folded = Tally()  # the edge cases' contributions, summed, then stored in tiers once
        if not window.days:  # no whole day inside: fold the window's cases
            _fold_cases(conn, gen, received_from, received_to, channel, folded)
        else:
            if start is not None and received_from is not None and utc(received_from) < start:
                _fold_cases(conn, gen, received_from, start, channel, folded)
            if end is not None and received_to is not None and end < utc(received_to):
                _fold_cases(conn, gen, end, received_to, channel, folded)
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

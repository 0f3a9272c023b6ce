"""The KPI tallies per received hour, day, month and year and channel: kept as events are applied, summed for a window.

Each case adds its `kpis.contributions` (the one definition of what a case counts for), stored in tiers
(`kpitiers.stored`), to the rows of its received hour and channel, and tiers 0 and 1 to its day's,
month's and year's too (`kpispans` says which rows a window reads).
When a batch changes a case, the writer takes its old document's cells away and adds its new one's
(`deltas`), in the batch's transaction, so the tallies are always the sum over the cases as they stand:
a pure projection of the log that a replay rebuilds row for row (rows that fall back to zero are deleted).

`GET /kpis` (`kpiread.kpi_report`) sums the tier 0 rows of the whole years, months, days and hours in the window,
reads tier 1 and 2 rows only where a percentile's rank or `now` falls, and folds only the cases of the
partial hours at its edges from their documents; all of it goes through `kpis.report`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Dialect, Table, select

from complaints.readmodel.kpis import contributions
from complaints.readmodel.kpispans import HOUR_CHARS
from complaints.readmodel.kpitiers import stored, tier_of
from services.projections.storage.kpiread import kpi_report
from services.projections.storage.sqlwrite import insert_rows

Cell = tuple[str, str, str, str, str]  # metric, span ('h'/'d'/'m'/'y': hour/day/month/year), its label, channel, key
__all__ = ["Cell", "all_rows", "bucket", "deltas", "kpi_report", "write_kpis"]
COLUMNS = ("metric", "span", "day", "channel", "key", "tier", "n", "total")


def bucket(doc: Mapping[str, Any]) -> tuple[str, str] | None:
    """The row a case counts in: its received hour (UTC; the document holds UTC times, so its ISO prefix is
    `kpispans.label`) and channel."""
    received = doc.get("received_at")
    return None if received is None else (received[:HOUR_CHARS], doc.get("channel") or "")


def deltas(old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]) -> dict[Cell, list[int]]:
    """What the changed cases (`new` documents; `old`: as they were stored, if at all) change in the tallies.

    The batch's contributions are summed per hour, channel, metric and key first (taking a changed case's
    old ones away), then each sum is stored in its tiers on the hour's row (`kpitiers.stored`, linear in
    the counts and totals); tiers 0 and 1 of the hours add to their days', months' and years' rows."""
    summed: dict[tuple[str, str, str, str], list[int]] = {}  # hour, channel, metric, key
    for cid, doc in new.items():
        for sign, d in ((-1, old.get(cid)), (1, doc)):
            where = None if d is None else bucket(d)
            if d is None or where is None:
                continue
            hour, channel = where
            for metric, key, n, total in contributions(d):
                sums = summed.get((hour, channel, metric, key))
                if sums is None:
                    summed[(hour, channel, metric, key)] = [sign * n, sign * total]
                else:
                    sums[0] += sign * n
                    sums[1] += sign * total
    out: dict[Cell, list[int]] = {}
    rolled: dict[Cell, list[int]] = {}  # tiers 0 and 1 of the hours, then of their days...: rolled up a level each
    for (hour, channel, *item), (n, total) in summed.items():
        if n or total:
            for tier, metric, key, n_, total_ in stored([(item[0], item[1], n, total)]):
                _add(out if tier == 2 else rolled, (metric, "h", hour, channel, key), n_, total_)
    for span, cut in (("d", _day), ("m", _month), ("y", _year)):
        out.update(rolled)
        level: dict[Cell, list[int]] = {}
        for (metric, _, at, channel, key), (n, total) in rolled.items():
            _add(level, (metric, span, cut(at), channel, key), n, total)
        rolled = level
    out.update(rolled)
    return {k: v for k, v in out.items() if v[0] or v[1]}


def _add(cells: dict[Cell, list[int]], cell: Cell, n: int, total: int) -> None:
    sums = cells.get(cell)
    if sums is None:
        cells[cell] = [n, total]
    else:
        sums[0] += n
        sums[1] += total


def _day(hour: str) -> str:
    return hour[:10]


def _month(day: str) -> str:
    return day[:8] + "01"


def _year(month: str) -> str:
    return month[:5] + "01-01"


@lru_cache(maxsize=16)
def _statements(dialect: Dialect, table: Table) -> tuple[str, str]:
    quote = dialect.identifier_preparer.quote
    name = dialect.identifier_preparer.format_table(table)
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    pk = ", ".join(quote(c) for c in COLUMNS[:5])
    upsert = (f"ON CONFLICT ({pk}) DO UPDATE SET {quote('n')} = {name}.{quote('n')} + excluded.{quote('n')}, "
              f"{quote('total')} = {name}.{quote('total')} + excluded.{quote('total')}")
    delete = (f"DELETE FROM {name} WHERE " + " AND ".join(f"{quote(c)} = {mark}" for c in COLUMNS[:5])
              + f" AND {quote('n')} = 0 AND {quote('total')} = 0")
    return upsert, delete


def write_kpis(conn: Connection, table: Table, changes: Mapping[Cell, list[int]]) -> None:
    """Add the deltas to the tallies (in bulk: `sqlwrite.insert_rows`); drop rows that reached zero."""
    if not changes:
        return
    upsert, delete = _statements(conn.dialect, table)
    insert_rows(conn, table, COLUMNS, [(*cell, tier_of(cell[0]), n, total) for cell, (n, total) in changes.items()],
                upsert)
    shrunk = [cell for cell, (n, total) in changes.items() if n < 0 or total < 0]
    if shrunk:
        conn.exec_driver_sql(delete, shrunk)


def all_rows(conn: Connection, table: Table) -> Sequence[Any]:
    """Every tally row (metric, span, day, channel, key, n, total), in key order (replay == live comparisons)."""
    c = table.c
    return conn.execute(select(c.metric, c.span, c.day, c.channel, c.key, c.n, c.total)
                        .order_by(*table.primary_key.columns)).all()


"""The KPI tallies per received day and channel: kept as events are applied, summed for a window.

Each case adds its `kpis.contributions` (the one definition of what a case counts for) to the
row of its received day and channel. When a batch changes a case, the writer takes its old
document's contributions away and adds its new one's (`deltas`), in the batch's transaction, so
the tallies are always the sum over the cases as they stand: a pure projection of the log that a
replay rebuilds row for row (rows that fall back to zero are deleted).

`GET /kpis` for a window sums the rows of the whole days inside it and folds only the cases of the
partial days at its edges from their documents; both go through `kpis.report`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from pydantic_core import from_json
from sqlalchemy import Connection, Dialect, Table, func, select

from complaints.readmodel.kpis import KpiReport, Tally, contributions, report
from complaints.readmodel.model import utc
from services.projections.storage.codec import naive
from services.projections.storage.store import Generation

Cell = tuple[str, str, str, str]  # day, channel, metric, key
DAY = timedelta(days=1)


def bucket(doc: Mapping[str, Any]) -> tuple[str, str] | None:
    """The row a case counts in: its received day (UTC; the document holds UTC times) and channel."""
    received = doc.get("received_at")
    return None if received is None else (received[:10], doc.get("channel") or "")


def deltas(old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]) -> dict[Cell, list[int]]:
    """What the changed cases (`new` documents; `old`: as they were stored, if at all) change in the tallies."""
    out: dict[Cell, list[int]] = {}
    for cid, doc in new.items():
        for sign, d in ((-1, old.get(cid)), (1, doc)):
            where = None if d is None else bucket(d)
            if d is None or where is None:
                continue
            for metric, key, n, total in contributions(d):
                cell = out.setdefault((*where, metric, key), [0, 0])
                cell[0] += sign * n
                cell[1] += sign * total
    return {k: v for k, v in out.items() if v[0] or v[1]}


@lru_cache(maxsize=16)
def _statements(dialect: Dialect, table: Table) -> tuple[str, str]:
    quote = dialect.identifier_preparer.quote
    name = dialect.identifier_preparer.format_table(table)
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    cols = ("day", "channel", "metric", "key", "n", "total")
    pk = ", ".join(quote(c) for c in cols[:4])
    upsert = (f"INSERT INTO {name} ({', '.join(quote(c) for c in cols)}) VALUES ({', '.join([mark] * 6)}) "
              f"ON CONFLICT ({pk}) DO UPDATE SET {quote('n')} = {name}.{quote('n')} + excluded.{quote('n')}, "
              f"{quote('total')} = {name}.{quote('total')} + excluded.{quote('total')}")
    delete = (f"DELETE FROM {name} WHERE " + " AND ".join(f"{quote(c)} = {mark}" for c in cols[:4])
              + f" AND {quote('n')} = 0 AND {quote('total')} = 0")
    return upsert, delete


def write_kpis(conn: Connection, table: Table, changes: Mapping[Cell, list[int]]) -> None:
    """Add the deltas to the tallies (one upsert statement for the batch); drop rows that reached zero."""
    if not changes:
        return
    upsert, delete = _statements(conn.dialect, table)
    conn.exec_driver_sql(upsert, [(*cell, n, total) for cell, (n, total) in changes.items()])
    shrunk = [cell for cell, (n, total) in changes.items() if n < 0 or total < 0]
    if shrunk:
        conn.exec_driver_sql(delete, shrunk)


def _day_floor(moment: datetime) -> datetime:
    return utc(moment).replace(hour=0, minute=0, second=0, microsecond=0)


def whole_days(received_from: datetime | None, received_to: datetime | None) -> tuple[datetime | None, datetime | None]:
    """The whole UTC days inside [from, to): (first day's start, end of the last) — None: unbounded."""
    start = None if received_from is None else _day_floor(received_from)
    if start is not None and received_from is not None and start < utc(received_from):
        start += DAY
    end = None if received_to is None else _day_floor(received_to)
    return start, end


def kpi_report(gen: Generation, received_from: datetime | None, received_to: datetime | None,
               channel: str | None, now: datetime) -> KpiReport:
    """The KPIs of the cases received in [from, to) (and channel): tallies of whole days + the edges' cases."""
    start, end = whole_days(received_from, received_to)
    tally = Tally()
    if start is not None and end is not None and start >= end:  # no whole day inside: fold the window's cases
        _fold_cases(gen, received_from, received_to, channel, tally)
        return report(tally, now)
    k = gen.tables.kpis.c
    where = [] if channel is None else [k.channel == channel]
    if start is not None:
        where.append(k.day >= start.date().isoformat())
    if end is not None:
        where.append(k.day < end.date().isoformat())
    query = select(k.metric, k.key, func.sum(k.n), func.sum(k.total)).where(*where).group_by(k.metric, k.key)
    with gen.engine.connect() as conn:
        rows = conn.execute(query).all()  # one fetch: row by row cost more than the sums
    tally.add((metric, key, int(n), int(total)) for metric, key, n, total in rows)
    if start is not None and received_from is not None and utc(received_from) < start:
        _fold_cases(gen, received_from, start, channel, tally)
    if end is not None and received_to is not None and end < utc(received_to):
        _fold_cases(gen, end, received_to, channel, tally)
    return report(tally, now)


def _fold_cases(gen: Generation, received_from: datetime | None, received_to: datetime | None, channel: str | None,
                tally: Tally) -> None:
    c = gen.tables.cases.c
    where: list[Any] = [c.received_at.is_not(None)]
    if channel is not None:
        where.append(c.channel == channel)
    if received_from is not None:
        where.append(c.received_at >= naive(received_from))
    if received_to is not None:
        where.append(c.received_at < naive(received_to))
    with gen.engine.connect() as conn:
        for doc in conn.execute(select(c.doc).where(*where).execution_options(yield_per=1000)).scalars():
            tally.add(contributions(from_json(doc)))


def all_rows(conn: Connection, table: Table) -> Sequence[Any]:
    """Every tally row, in key order (replay == live comparisons)."""
    return conn.execute(select(table).order_by(*table.primary_key.columns)).all()

"""Set-based writes of one batch: one statement per table per batch, the same SQL on SQLite and PostgreSQL.

The two big tables (timeline, cases) are written straight through the driver from value
tuples (`codec.TIMELINE_COLUMNS`, `codec.CASE_COLUMNS`): SQLAlchemy's per-row parameter
processing cost more than the database's own work. Times go in as each database stores
them through SQLAlchemy (`codec.SqliteTimes`), so its reads compare them the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Connection, Dialect, Table, bindparam, insert, select, update

from services.projections.storage.codec import CASE_COLUMNS, TIMELINE_COLUMNS, SqliteTimes, Times, chunks
from services.projections.storage.tables import Tables


class Positioned(Protocol):
    """A consumed record's place in the log (what the offsets table records)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...


@dataclass(frozen=True)
class Statements:
    """One generation's write statements, as this connection's driver takes them."""

    times: Times
    insert_timeline: str
    upsert_cases: str
    #: PostgreSQL: rows go in by COPY (the cases through a temporary table, then one upsert);
    #: as single-row statements, even batched, the server parsed and planned every row.
    copy_timeline: str = ""
    stage_cases: tuple[str, ...] = ()


def statements(conn: Connection, t: Tables) -> Statements:
    return _statements(conn.dialect, t.timeline, t.cases)


@lru_cache(maxsize=16)
def _statements(dialect: Dialect, timeline: Table, cases: Table) -> Statements:
    quote = dialect.identifier_preparer.quote
    table = dialect.identifier_preparer.format_table
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    tl_cols, case_cols = ", ".join(quote(c) for c in TIMELINE_COLUMNS), ", ".join(quote(c) for c in CASE_COLUMNS)
    upsert = (f"ON CONFLICT ({quote('complaint_id')}) DO UPDATE SET "
              + ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in CASE_COLUMNS if c != "complaint_id"))
    tl_marks, case_marks = ", ".join([mark] * len(TIMELINE_COLUMNS)), ", ".join([mark] * len(CASE_COLUMNS))
    sql = Statements(
        times=SqliteTimes() if dialect.name == "sqlite" else Times(),
        insert_timeline=f"INSERT INTO {table(timeline)} ({tl_cols}) VALUES ({tl_marks})",
        upsert_cases=f"INSERT INTO {table(cases)} ({case_cols}) VALUES ({case_marks}) {upsert}",
    )
    if dialect.name != "postgresql":
        return sql
    stage = "projection_cases_stage"
    return replace(sql, copy_timeline=f"COPY {table(timeline)} ({tl_cols}) FROM STDIN", stage_cases=(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} (LIKE {table(cases)}) ON COMMIT DELETE ROWS",
        f"COPY {stage} ({case_cols}) FROM STDIN",
        f"INSERT INTO {table(cases)} ({case_cols}) SELECT {case_cols} FROM {stage} {upsert}",
    ))


def _copy(conn: Connection, statement: str, rows: list[tuple[Any, ...]]) -> None:
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cur, cur.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def existing_events(conn: Connection, t: Tables, event_ids: Sequence[str]) -> set[str]:
    """Which of these event ids the timeline holds already."""
    seen: set[str] = set()
    for part in chunks(event_ids):
        seen.update(conn.execute(select(t.timeline.c.event_id).where(t.timeline.c.event_id.in_(part))).scalars())
    return seen


def insert_timeline(conn: Connection, sql: Statements, rows: list[tuple[Any, ...]]) -> None:
    if rows and sql.copy_timeline:
        _copy(conn, sql.copy_timeline, rows)
    elif rows:
        conn.exec_driver_sql(sql.insert_timeline, rows)


def load_cases(conn: Connection, t: Tables, ids: Sequence[str]) -> dict[str, str]:
    docs: dict[str, str] = {}
    for part in chunks(ids):
        rows = conn.execute(select(t.cases.c.complaint_id, t.cases.c.doc).where(t.cases.c.complaint_id.in_(part)))
        docs.update({r.complaint_id: r.doc for r in rows})
    return docs


def write_cases(conn: Connection, sql: Statements, rows: list[tuple[Any, ...]]) -> None:
    if rows and sql.stage_cases:
        create, copy, upsert = sql.stage_cases
        conn.exec_driver_sql(create)
        _copy(conn, copy, rows)
        conn.exec_driver_sql(upsert)
    elif rows:
        conn.exec_driver_sql(sql.upsert_cases, rows)


def stored_offsets(conn: Connection, t: Tables) -> dict[tuple[str, int], int]:
    """The next offset to apply per (topic, partition), as stored with the changes."""
    return {(r.topic, r.partition): r.next_offset for r in conn.execute(select(t.offsets))}


def write_offsets(conn: Connection, t: Tables, fresh: Sequence[Positioned], stored: dict[tuple[str, int], int]) -> None:
    nexts: dict[tuple[str, int], int] = {}
    for i in fresh:
        nexts[(i.topic, i.partition)] = max(nexts.get((i.topic, i.partition), 0), i.offset + 1)
    ins = [{"topic": tp[0], "partition": tp[1], "next_offset": n} for tp, n in nexts.items() if tp not in stored]
    upd = [{"b_topic": tp[0], "b_partition": tp[1], "next_offset": n} for tp, n in nexts.items() if tp in stored]
    if ins:
        conn.execute(insert(t.offsets), ins)
    if upd:
        o = t.offsets.c
        conn.execute(update(t.offsets).where(o.topic == bindparam("b_topic"), o.partition == bindparam("b_partition")),
                     upd)


def add_counters(conn: Connection, t: Tables, counts: Counter[str]) -> None:
    names = [n for n, v in counts.items() if v]
    if not names:
        return
    have = set(conn.execute(select(t.counters.c.name).where(t.counters.c.name.in_(names))).scalars())
    c = t.counters.c
    ins: list[dict[str, Any]] = [{"name": n, "value": counts[n]} for n in names if n not in have]
    upd = [{"b_name": n, "inc": counts[n]} for n in names if n in have]
    if ins:
        conn.execute(insert(t.counters), ins)
    if upd:
        conn.execute(update(t.counters).where(c.name == bindparam("b_name")).values(value=c.value + bindparam("inc")),
                     upd)

"""Set-based writes of one batch (SQLAlchemy Core, the same statements on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, insert, select, update

from services.projections.codec import case_row, chunks
from services.projections.model import Case
from services.projections.tables import Tables

if TYPE_CHECKING:
    from services.projections.writer import Item


def insert_new_events(conn: Connection, t: Tables, rows: list[dict[str, Any]]) -> dict[str, None]:
    """Insert the timeline rows whose event id is new; return those ids (the others are duplicates)."""
    seen: set[str] = set()
    for part in chunks([r["event_id"] for r in rows]):
        seen.update(conn.execute(select(t.timeline.c.event_id).where(t.timeline.c.event_id.in_(part))).scalars())
    fresh = [r for r in rows if r["event_id"] not in seen]
    if fresh:
        conn.execute(insert(t.timeline), fresh)
    return dict.fromkeys(r["event_id"] for r in fresh)


def load_cases(conn: Connection, t: Tables, ids: list[str]) -> dict[str, str]:
    docs: dict[str, str] = {}
    for part in chunks(ids):
        rows = conn.execute(select(t.cases.c.complaint_id, t.cases.c.doc).where(t.cases.c.complaint_id.in_(part)))
        docs.update({r.complaint_id: r.doc for r in rows})
    return docs


def write_cases(conn: Connection, t: Tables, updated: dict[str, Case], existing: dict[str, str]) -> None:
    inserts = [case_row(c) for cid, c in updated.items() if cid not in existing]
    updates = [{**case_row(c), "b_id": cid} for cid, c in updated.items() if cid in existing]
    if inserts:
        conn.execute(insert(t.cases), inserts)
    if updates:  # SET columns come from the parameter names
        conn.execute(update(t.cases).where(t.cases.c.complaint_id == bindparam("b_id")),
                     [{k: v for k, v in u.items() if k != "complaint_id"} for u in updates])


def write_offsets(conn: Connection, t: Tables, fresh: Sequence[Item], stored: dict[tuple[str, int], int]) -> None:
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

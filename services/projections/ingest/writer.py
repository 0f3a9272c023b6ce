"""The unit of work: one fetched batch -> one transaction (timeline, cases, KPI tallies, versions, offsets, counters).

Exactly-once effect: the batch's records are filtered against the offsets stored in
the same database (records below them were applied already), the timeline insert
keeps only event ids it has not seen (the same `ce_id` twice is applied once), only
those events reach the projector, and the new offsets are written in the same
transaction as everything else. What the batch changes is worked out by `changes.work_out`
(each case read, folded and written once per batch).

The transaction's first statement takes SQLite's write lock / the PostgreSQL counters
row lock, so batches apply one at a time. With `optimistic`, the changes are worked out
before that, from plain reads, and checked under the lock (`changes.still_valid`); if anything it
read has changed meanwhile, they are worked out again under the lock. Replay shards use this, so
one shard folds while another writes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import update

from complaints.readmodel.casedoc import FirstResponse
from services.projections.ingest.changes import Changes, PoisonEvents, still_valid, work_out
from services.projections.ingest.records import Classified
from services.projections.storage.kpistore import write_kpis
from services.projections.storage.sqlwrite import add_counters, insert_timeline, statements, write_cases, write_offsets
from services.projections.storage.store import Generation
from services.projections.storage.versions import write_versions

__all__ = ["BatchResult", "Classified", "PoisonEvents", "apply_batch"]


@dataclass
class BatchResult:
    applied: int = 0
    duplicates: int = 0
    stale: int = 0
    refolds: int = 0
    counters: Counter[str] = field(default_factory=Counter)


def apply_batch(gen: Generation, items: Sequence[Classified], optimistic: bool = False,
                first_response: FirstResponse | None = None) -> BatchResult:
    """Apply a batch in one transaction; `first_response` is the policy's SLA for new cases."""
    t = gen.tables
    early: Changes | None = None
    if optimistic:
        with gen.engine.connect() as conn:
            early = work_out(conn, t, statements(conn, t), items, first_response)
    with gen.engine.begin() as conn:
        # First statement writes: takes SQLite's write lock / a PostgreSQL row lock for the whole batch.
        conn.execute(update(t.counters).where(t.counters.c.name == "batches").values(value=t.counters.c.value + 1))
        sql = statements(conn, t)
        p = (early if early is not None and still_valid(conn, t, early)
             else work_out(conn, t, sql, items, first_response))
        result = BatchResult(stale=len(items) - len(p.fresh), refolds=p.refolds)
        if not p.fresh:
            return result
        if p.poison:
            raise PoisonEvents(p.poison)  # rolls the whole batch back
        insert_timeline(conn, sql, p.timeline_rows)
        write_cases(conn, sql, p.case_rows)
        write_kpis(conn, t.kpis, p.kpi_deltas)
        write_versions(conn, t.versions, p.versions, sql.times)
        write_offsets(conn, t, p.fresh, p.offsets)
        result.applied, result.duplicates, result.counters = len(p.new), p.duplicates, p.counters()
        add_counters(conn, t, result.counters)
    return result

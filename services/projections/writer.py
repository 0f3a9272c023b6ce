"""The unit of work: one fetched batch -> one transaction (timeline, cases, offsets, counters).

Exactly-once effect: the batch's records are filtered against the offsets stored in
the same database (records below them were applied already), the timeline insert
keeps only event ids it has not seen (the same `ce_id` twice is applied once), only
those events reach the projector, and the new offsets are written in the same
transaction as everything else.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select, update

from complaints.envelope import Envelope
from services.projections.codec import envelope_from_row, timeline_row
from services.projections.essentials import entry_for
from services.projections.model import Case
from services.projections.projector import apply_event, event_episode, sort_key
from services.projections.sqlwrite import add_counters, insert_new_events, load_cases, write_cases, write_offsets
from services.projections.store import Generation


@dataclass(frozen=True)
class Item:
    """One consumed record: an envelope to apply, or the counter name it is skipped under."""

    topic: str
    partition: int
    offset: int
    envelope: Envelope | None = None
    payload: str = ""
    skip: str | None = None  # "unknown_skipped" or "malformed"
    detail: str = ""  # the unknown type, or the error
    record: Any = field(default=None, compare=False, repr=False)  # the consumer record (for dead letters)

    @property
    def position(self) -> str:
        return f"{self.topic}:{self.partition}:{self.offset}"

    @property
    def env(self) -> Envelope:
        assert self.envelope is not None
        return self.envelope


@dataclass
class BatchResult:
    applied: int = 0
    duplicates: int = 0
    stale: int = 0
    refolds: int = 0
    counters: Counter[str] = field(default_factory=Counter)


class PoisonEvents(Exception):
    """Events that decoded but that the projector could not apply: dead-letter them, then retry."""

    def __init__(self, items: list[tuple[Item, BaseException]]) -> None:
        super().__init__(f"{len(items)} event(s) the projector cannot apply")
        self.items = items


def apply_batch(gen: Generation, items: Sequence[Item]) -> BatchResult:
    t = gen.tables
    result = BatchResult()
    with gen.engine.begin() as conn:
        # First statement writes: takes SQLite's write lock / a PostgreSQL row lock for the whole batch.
        conn.execute(update(t.counters).where(t.counters.c.name == "batches").values(value=t.counters.c.value + 1))
        done = {(r.topic, r.partition): r.next_offset for r in conn.execute(select(t.offsets))}
        fresh = [i for i in items if i.offset >= done.get((i.topic, i.partition), 0)]
        result.stale = len(items) - len(fresh)
        if not fresh:
            return result
        candidates = list({i.env.id: i for i in reversed(fresh) if i.envelope is not None and not i.skip}.values())
        rows = [timeline_row(i.env, i.topic, i.partition, i.offset, i.payload,
                             entry_for(i.env, i.position, max(event_episode(i.env.event), 1))) for i in candidates]
        inserted = insert_new_events(conn, t, rows)
        new = []
        for i in fresh:
            if i.envelope is not None and not i.skip and i.env.id in inserted:
                del inserted[i.env.id]  # its first occurrence is the one the timeline holds
                new.append(i)
        result.duplicates = sum(1 for i in fresh if i.envelope is not None and not i.skip) - len(new)
        updated, docs, poison = _project(conn, gen, new, result)
        if poison:
            raise PoisonEvents(poison)  # rolls the whole batch back, timeline rows included
        write_cases(conn, t, updated, docs)
        write_offsets(conn, t, fresh, done)
        result.applied = len(new)
        result.counters.update(applied=len(new), duplicates=result.duplicates)
        for i in fresh:
            if i.skip:
                result.counters[i.skip] += 1
                if i.skip == "unknown_skipped":
                    result.counters[f"unknown_type:{i.detail}"[:300]] += 1
        add_counters(conn, t, result.counters)
    return result


def _project(conn: Connection, gen: Generation, new: list[Item], result: BatchResult
             ) -> tuple[dict[str, Case], dict[str, str], list[tuple[Item, BaseException]]]:
    """Fold the new events into their cases; a case whose new events sort before its last one is refolded."""
    t = gen.tables
    by_case: dict[str, list[Item]] = defaultdict(list)
    for i in new:
        by_case[i.env.complaint_id].append(i)
    docs = load_cases(conn, t, list(by_case))
    cases = {cid: Case.model_validate_json(doc) for cid, doc in docs.items()}
    for group in by_case.values():
        group.sort(key=lambda i: sort_key(i.env))
    late = {cid for cid, group in by_case.items()
            if (key := cases[cid].last_key if cid in cases else None) is not None and sort_key(group[0].env) < key}
    result.refolds = len(late)
    new_ids = {i.env.id for i in new}
    stored: dict[str, list[tuple[Envelope, str]]] = defaultdict(list)
    if late:
        query = select(t.timeline).where(t.timeline.c.complaint_id.in_(sorted(late)))
        for row in conn.execute(query):
            if row.event_id not in new_ids:  # the timeline already holds this batch's rows
                stored[row.complaint_id].append(envelope_from_row(row))
    updated: dict[str, Case] = {}
    poison: list[tuple[Item, BaseException]] = []
    for cid, group in by_case.items():
        pairs: list[tuple[Envelope, str, Item | None]] = [(i.env, i.position, i) for i in group]
        case = cases.get(cid)
        if cid in late:
            case = None
            pairs = sorted([(env, pos, None) for env, pos in stored[cid]] + pairs, key=lambda p: sort_key(p[0]))
        for env, position, item in pairs:
            try:
                case = apply_event(case, env, position)
            except Exception as exc:  # a projector bug must not stop the stream: dead-letter the event
                if item is None:
                    raise
                poison.append((item, exc))
        if case is not None:
            updated[cid] = case
    return updated, docs, poison

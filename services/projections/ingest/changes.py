"""One batch's change to the read model, worked out from reads alone: the `Changes` the writer writes.

The changes say which records are fresh (not below the stored offsets), which events are new
(not in the timeline yet; the first of several with the same id), the timeline rows, and
each touched case folded once: its new events in canonical order onto its stored document,
or, when one of them sorts before the last event already applied, refolded from its
timeline. It also remembers what it read (offsets, documents) so that changes worked out outside
the write lock can be checked under it (`still_valid`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, select

from complaints.envelope import Envelope
from complaints.readmodel.casedoc import Doc, FirstResponse, advance, last_key
from complaints.readmodel.model import SortKey, utc
from complaints.readmodel.order import sort_key
from complaints.readmodel.timeline import entry_json
from complaints.readmodel.validtime import appendable, running, versions
from services.projections.ingest.parsed import PARSED
from services.projections.ingest.records import Classified
from services.projections.storage.codec import (
    CASE_COLUMNS,
    Times,
    case_values,
    chunks,
    envelope_from_row,
    timeline_values,
)
from services.projections.storage.kpistore import Cell, deltas
from services.projections.storage.sqlwrite import Statements, existing_events, load_cases, stored_offsets
from services.projections.storage.tables import Tables
from services.projections.storage.versions import VersionChanges

_DOC = CASE_COLUMNS.index("doc")


class PoisonEvents(Exception):
    """Events that decoded but that the projector could not apply: dead-letter them, then retry."""

    def __init__(self, items: list[tuple[Classified, BaseException]]) -> None:
        super().__init__(f"{len(items)} event(s) the projector cannot apply")
        self.items = items


@dataclass
class Changes:
    offsets: dict[tuple[str, int], int]  # as read: next offset per partition
    fresh: list[Classified]
    new: list[Classified]
    stored: dict[str, str]  # as read: the documents of the touched cases that existed
    timeline_rows: list[tuple[Any, ...]]
    case_rows: list[tuple[Any, ...]]
    duplicates: int
    refolds: int
    poison: list[tuple[Classified, BaseException]]
    #: What the changed cases change in the KPI tallies (`storage/kpistore.py`).
    kpi_deltas: dict[Cell, list[int]] = field(default_factory=dict)
    #: The touched cases' valid-time versions (`storage/versions.py`).
    versions: VersionChanges = field(default_factory=VersionChanges)

    def counters(self) -> Counter[str]:
        counts: Counter[str] = Counter(applied=len(self.new), duplicates=self.duplicates)
        for i in self.fresh:
            if i.skip:
                counts[i.skip] += 1
                if i.skip == "unknown_skipped":
                    counts[f"unknown_type:{i.detail}"[:300]] += 1
        return counts


def work_out(conn: Connection, t: Tables, sql: Statements, items: Sequence[Classified],
             first_response: FirstResponse | None = None) -> Changes:
    done = stored_offsets(conn, t)
    fresh = [i for i in items if i.offset >= done.get((i.topic, i.partition), 0)]
    events = [i for i in fresh if i.envelope is not None and not i.skip]
    first: dict[str, Classified] = {}
    for i in events:
        first.setdefault(i.env.id, i)  # the first occurrence is the one the timeline keeps
    seen = existing_events(conn, t, list(first)) if first else set()
    new = [i for event_id, i in first.items() if event_id not in seen]
    stored = load_cases(conn, t, list(dict.fromkeys(i.env.complaint_id for i in new)))
    before = PARSED.parse(stored)  # advance never changes a document it is given
    docs, poison, refolds, kept = _fold(conn, t, new, before, first_response, sql.times)
    rows = [timeline_values(i.env, i.topic, i.partition, i.offset, i.payload, i.entry or entry_json(i.env, i.position),
                            sql.times) for i in new]
    case_rows = [case_values(doc, sql.times) for doc in docs.values()]
    PARSED.keep({cid: (row[_DOC], doc) for (cid, doc), row in zip(docs.items(), case_rows, strict=True)})
    return Changes(done, fresh, new, stored, rows, case_rows, len(events) - len(new), refolds, poison,
                   deltas(before, docs), kept)


def still_valid(conn: Connection, t: Tables, p: Changes) -> bool:
    """Nothing the changes were worked out from has changed since (checked under the write lock): offsets of its
    partitions, its new events still new, its cases' documents as they were. A case's timeline only
    changes together with its document, so a refold's events are covered too."""
    now = stored_offsets(conn, t)
    if any(now.get((i.topic, i.partition), 0) != p.offsets.get((i.topic, i.partition), 0) for i in p.fresh):
        return False
    if p.new and existing_events(conn, t, [i.env.id for i in p.new]):
        return False
    return load_cases(conn, t, list(dict.fromkeys(i.env.complaint_id for i in p.new))) == p.stored


def _fold(conn: Connection, t: Tables, new: list[Classified], docs: dict[str, Doc],
          first_response: FirstResponse | None, times: Times,
          ) -> tuple[dict[str, Doc], list[tuple[Classified, BaseException]], int, VersionChanges]:
    """Fold the new events into their cases: (changed case documents, poison events, cases refolded, versions)."""
    by_case: dict[str, list[tuple[SortKey, Classified]]] = defaultdict(list)
    for i in new:
        by_case[i.env.complaint_id].append((i.key or sort_key(i.env), i))
    late, history = set(), set()
    for cid, group in by_case.items():
        group.sort(key=itemgetter(0))
        key = last_key(docs[cid]) if cid in docs else None
        if key is not None and group[0][0] < key:
            late.add(cid)  # a new event sorts before one already applied
        elif not appendable(_latest(docs.get(cid)), [k[1] for k, _ in group]):
            history.add(cid)  # its versions are recomputed from all its events
    earlier = _stored_events(conn, t, late | history, {i.env.id for i in new}) if late or history else {}
    changed: dict[str, Doc] = {}
    poison: list[tuple[Classified, BaseException]] = []
    kept = VersionChanges()
    for cid, group in by_case.items():
        steps: list[tuple[Envelope, str, Classified | None]] = [(i.env, i.position, i) for _, i in group]
        doc = docs.get(cid)
        if cid in late:
            doc = None
            steps = sorted(earlier.get(cid, []) + steps, key=lambda s: sort_key(s[0]))
        ran: list[tuple[datetime, Doc]] = []
        for env, position, item in steps:
            try:
                doc = advance(doc, env, position, first_response)
            except Exception as exc:  # a projector bug must not stop the stream: dead-letter the event
                if item is None:
                    raise
                poison.append((item, exc))
                continue
            ran.append((utc(env.time), doc))
        if doc is not None:
            changed[cid] = doc
        if cid in late or cid in history:
            every = [(env, position) for env, position, _ in earlier.get(cid, [])] + [(i.env, i.position)
                                                                                      for _, i in group]
            kept.add(cid, versions(every, first_response), times, replace=True)
        else:
            kept.add(cid, running(ran), times, replace=False, current=_latest(docs.get(cid)))
    return changed, poison, len(late), kept


def _latest(doc: Doc | None) -> datetime | None:
    """The time of the case's latest event applied so far."""
    return None if doc is None or doc["updated_at"] is None else utc(datetime.fromisoformat(doc["updated_at"]))


def _stored_events(conn: Connection, t: Tables, cases: set[str], skip_ids: set[str]
                   ) -> dict[str, list[tuple[Envelope, str, Classified | None]]]:
    """The events the timeline holds for these cases, but for this batch's own."""
    out: dict[str, list[tuple[Envelope, str, Classified | None]]] = defaultdict(list)
    for part in chunks(sorted(cases)):
        for row in conn.execute(select(t.timeline).where(t.timeline.c.complaint_id.in_(part))):
            if row.event_id not in skip_ids:
                env, position = envelope_from_row(row)
                out[row.complaint_id].append((env, position, None))
    return out

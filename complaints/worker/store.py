"""Per-case state of one worker service, in SQL, with an index on the next deadline.

Rows are shared by all replicas of a service (same database); each replica
only runs timers for the partitions it owns. `due()` is an index range scan,
so a tick costs the same at 1,000 or 100,000 open cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from complaints.db import ensure_schema, make_engine

metadata = MetaData()
cases = Table(
    "worker_cases",
    metadata,
    Column("service", String(32), primary_key=True),
    Column("complaint_id", String(64), primary_key=True),
    Column("partition", Integer, nullable=False),
    Column("state", Text, nullable=False),
    Column("due_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False),
    Index("worker_cases_due", "service", "partition", "due_at"),
)


class Conflict(Exception):
    """Another process changed the case since it was read: reload and decide again."""


@dataclass(frozen=True)
class Loaded:
    """A case as read: its state (None when new), the version to check on save, its partition."""

    state: str | None
    version: int
    partition: int | None


@dataclass(frozen=True)
class Save:
    """One case to write in `save_many`, if still at `version` (0: not stored yet)."""

    complaint_id: str
    partition: int
    state: str
    due_at: datetime | None
    version: int


#: Ids per `IN (...)` list: well under SQLite's and PostgreSQL's bound-parameter limits.
CHUNK = 500


class CaseStore:
    def __init__(self, url: str, service: str) -> None:
        self.engine = make_engine(url)
        self.service = service
        ensure_schema(self.engine, metadata)

    def load(self, complaint_id: str) -> tuple[str | None, int, int | None]:
        """(state json or None, version, partition)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(cases.c.state, cases.c.version, cases.c.partition).where(
                cases.c.service == self.service, cases.c.complaint_id == complaint_id)).first()
        return (row.state, row.version, row.partition) if row else (None, 0, None)

    def save(self, complaint_id: str, partition: int, state: str, due_at: datetime | None, version: int) -> None:
        """Write if nobody else did since `version` was read, else raise Conflict."""
        with self.engine.begin() as conn:
            if version == 0:
                try:
                    conn.execute(insert(cases).values(service=self.service, complaint_id=complaint_id,
                                                      partition=partition, state=state, due_at=due_at, version=1))
                    return
                except IntegrityError as exc:
                    raise Conflict(complaint_id) from exc
            done = conn.execute(update(cases).where(
                cases.c.service == self.service, cases.c.complaint_id == complaint_id, cases.c.version == version,
            ).values(state=state, due_at=due_at, version=version + 1)).rowcount
        if not done:
            raise Conflict(complaint_id)

    def load_many(self, complaint_ids: Sequence[str]) -> dict[str, Loaded]:
        """Several cases in one round trip per chunk of ids; missing ids are absent from the result."""
        out: dict[str, Loaded] = {}
        c = cases.c
        with self.engine.connect() as conn:
            for start in range(0, len(complaint_ids), CHUNK):
                part = list(complaint_ids[start:start + CHUNK])
                rows = conn.execute(select(c.complaint_id, c.state, c.version, c.partition).where(
                    c.service == self.service, c.complaint_id.in_(part)))
                out.update({r.complaint_id: Loaded(r.state, r.version, r.partition) for r in rows})
        return out

    def save_many(self, saves: Sequence[Save]) -> set[str]:
        """Write every case still at its read version, in ONE transaction; return the ids that conflicted.

        Stored cases are updated only where the version is unchanged (the same optimistic check
        as `save`); new cases are inserted. A new case another process inserted meanwhile makes
        the insert fail: the transaction is redone without it, and it is reported as a conflict.
        """
        pending = list(saves)
        conflicts: set[str] = set()
        while pending:
            try:
                with self.engine.begin() as conn:
                    return conflicts | self._write(conn, pending)
            except IntegrityError:
                with self.engine.connect() as conn:
                    taken = self._existing(conn, [s.complaint_id for s in pending if s.version == 0])
                if not taken:
                    raise
                conflicts |= taken
                pending = [s for s in pending if s.complaint_id not in taken]
        return conflicts

    def _write(self, conn: Connection, saves: Sequence[Save]) -> set[str]:
        c = cases.c
        conflicts: set[str] = set()
        updates = [s for s in saves if s.version]
        if updates:  # first, so that SQLite takes its write lock before anything is read
            stmt = update(cases).where(
                c.service == self.service, c.complaint_id == bindparam("b_id"), c.version == bindparam("b_version"),
            ).values(state=bindparam("b_state"), due_at=bindparam("b_due"), version=bindparam("b_version") + 1)
            for s in updates:
                params = {"b_id": s.complaint_id, "b_version": s.version, "b_state": s.state, "b_due": s.due_at}
                if not conn.execute(stmt, params).rowcount:
                    conflicts.add(s.complaint_id)
        fresh = [{"service": self.service, "complaint_id": s.complaint_id, "partition": s.partition,
                  "state": s.state, "due_at": s.due_at, "version": 1} for s in saves if not s.version]
        if fresh:
            conn.execute(insert(cases), fresh)  # executemany; IntegrityError if another process was first
        return conflicts

    def _existing(self, conn: Connection, ids: Sequence[str]) -> set[str]:
        c = cases.c
        found: set[str] = set()
        for start in range(0, len(ids), CHUNK):
            found.update(conn.execute(select(c.complaint_id).where(
                c.service == self.service, c.complaint_id.in_(list(ids[start:start + CHUNK])))).scalars())
        return found

    def due(self, partitions: set[int], now: datetime, limit: int = 500) -> list[str]:
        """Ids of cases whose deadline has passed, in the given partitions, most overdue first."""
        if not partitions:
            return []
        with self.engine.connect() as conn:
            return list(conn.execute(
                select(cases.c.complaint_id).where(
                    cases.c.service == self.service, cases.c.due_at <= now, cases.c.partition.in_(partitions),
                ).order_by(cases.c.due_at).limit(limit)).scalars())


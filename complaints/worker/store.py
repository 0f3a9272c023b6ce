"""Per-case state of one worker service, in SQL, with an index on the next deadline.

Rows are shared by all replicas of a service (same database); each replica
only runs timers for the partitions it owns. `due()` is an index range scan,
so a tick costs the same at 1,000 or 100,000 open cases.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Text, insert, select, update
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

    def due(self, partitions: set[int], now: datetime, limit: int = 500) -> list[str]:
        """Ids of cases whose deadline has passed, in the given partitions, most overdue first."""
        if not partitions:
            return []
        with self.engine.connect() as conn:
            return list(conn.execute(
                select(cases.c.complaint_id).where(
                    cases.c.service == self.service, cases.c.due_at <= now, cases.c.partition.in_(partitions),
                ).order_by(cases.c.due_at).limit(limit)).scalars())

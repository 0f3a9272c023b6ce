"""Intake's own tables: idempotency keys and each customer's complaint history.

Shared by every intake replica through the database (`COMPLAINTS_DATABASE_URL`),
so an `Idempotency-Key` holds across restarts and replicas.

The `*_in(conn, ...)` methods work inside a transaction the caller holds, so that intake
can write a whole group of concurrent requests in one transaction (see `service.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from complaints.db import ensure_schema, make_engine

metadata = MetaData()
idempotency = Table(
    "intake_idempotency",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("complaint_id", String(64), nullable=False),
    Column("event_json", Text, nullable=False),
    Column("position", String(300)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
history = Table(
    "intake_customer_complaints",
    metadata,
    Column("complaint_id", String(64), primary_key=True),
    Column("customer_ref", String(64), nullable=False, index=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
)


_COUNT_PRIOR = select(func.count()).select_from(history).where(
    history.c.customer_ref == bindparam("b_ref"),
    history.c.complaint_id != bindparam("b_id"),
    history.c.received_at >= bindparam("b_from"),
    history.c.received_at <= bindparam("b_to"),
)


@dataclass(frozen=True)
class Claim:
    fingerprint: str
    complaint_id: str
    event_json: str
    position: str | None


class IntakeStore:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        ensure_schema(self.engine, metadata)

    def get(self, key: str) -> Claim | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(idempotency).where(idempotency.c.key == key)).first()
        return Claim(row.fingerprint, row.complaint_id, row.event_json, row.position) if row else None

    def claim(self, key: str, fingerprint: str, complaint_id: str, event_json: str, now: datetime) -> Claim:
        """Record the key; if another request got there first, return its claim instead."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(idempotency).values(
                    key=key, fingerprint=fingerprint, complaint_id=complaint_id,
                    event_json=event_json, position=None, created_at=now))
            return Claim(fingerprint, complaint_id, event_json, None)
        except IntegrityError:
            existing = self.get(key)
            assert existing is not None
            return existing

    def mark_published(self, key: str, position: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(idempotency).where(idempotency.c.key == key).values(position=position))

    def prior_complaints(self, customer_ref: str, complaint_id: str, received_at: datetime, days: int) -> int:
        """Count this customer's earlier complaints in the window, and record this one."""
        with self.engine.begin() as conn:
            count = conn.execute(
                select(func.count()).select_from(history).where(
                    history.c.customer_ref == customer_ref,
                    history.c.complaint_id != complaint_id,
                    history.c.received_at >= received_at - timedelta(days=days),
                    history.c.received_at <= received_at,
                )
            ).scalar_one()
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(history).values(
                    complaint_id=complaint_id, customer_ref=customer_ref, received_at=received_at))
        except IntegrityError:
            pass  # already recorded (a retried request)
        return int(count)

    # grouped writes ------------------------------------------------------
    def get_many(self, keys: Sequence[str]) -> dict[str, Claim]:
        """The claims of these keys (absent keys are left out), in one query per 500 keys."""
        out: dict[str, Claim] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(keys), 500):
                rows = conn.execute(select(idempotency).where(idempotency.c.key.in_(list(keys[start:start + 500]))))
                out.update({r.key: Claim(r.fingerprint, r.complaint_id, r.event_json, r.position) for r in rows})
        return out

    def claim_in(self, conn: Connection, key: str, fingerprint: str, complaint_id: str, event_json: str,
                 now: datetime) -> Claim:
        """`claim` inside the caller's transaction: insert the key unless it exists; return the claim that stands."""
        if _insert_ignore(conn, idempotency, {"key": key, "fingerprint": fingerprint, "complaint_id": complaint_id,
                                              "event_json": event_json, "position": None, "created_at": now}):
            return Claim(fingerprint, complaint_id, event_json, None)
        row = conn.execute(select(idempotency).where(idempotency.c.key == key)).one()
        return Claim(row.fingerprint, row.complaint_id, row.event_json, row.position)

    def prior_complaints_in(self, conn: Connection, customer_ref: str, complaint_id: str, received_at: datetime,
                            days: int) -> int:
        """`prior_complaints` inside the caller's transaction (count, then record this complaint once)."""
        count = conn.execute(_COUNT_PRIOR, {"b_ref": customer_ref, "b_id": complaint_id,
                                            "b_from": received_at - timedelta(days=days), "b_to": received_at},
                             ).scalar_one()
        _insert_ignore(conn, history, {"complaint_id": complaint_id, "customer_ref": customer_ref,
                                       "received_at": received_at})
        return int(count)

    def mark_published_in(self, conn: Connection, positions: Mapping[str, str]) -> None:
        """Record the log position of several published keys (one executemany)."""
        if positions:
            conn.execute(update(idempotency).where(idempotency.c.key == bindparam("b_key"))
                         .values(position=bindparam("b_position")),
                         [{"b_key": k, "b_position": p} for k, p in positions.items()])


#: INSERT ... ON CONFLICT DO NOTHING per dialect and table, built once (building it per call cost more than running it).
_IGNORING: dict[str, dict[str, Any]] = {
    name: {t.name: make(t).on_conflict_do_nothing() for t in (idempotency, history)}
    for name, make in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert))
}


def _insert_ignore(conn: Connection, table: Table, values: dict[str, Any]) -> bool:
    """Insert a row unless its primary key exists (without aborting the transaction); True if inserted."""
    stmt = _IGNORING.get(conn.dialect.name, {}).get(table.name)
    if stmt is not None:
        return bool(conn.execute(stmt, values).rowcount)
    try:
        with conn.begin_nested():
            conn.execute(insert(table).values(**values))
        return True
    except IntegrityError:
        return False


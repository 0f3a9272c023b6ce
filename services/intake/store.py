"""Intake's own tables: idempotency keys and each customer's complaint history.

Shared by every intake replica through the database (`COMPLAINTS_DATABASE_URL`),
so an `Idempotency-Key` holds across restarts and replicas.

The `*_in(conn, ...)` methods work inside a transaction the caller holds, so that intake
can write a whole group of concurrent requests in one transaction (see `service.py`); the
plain methods are the same steps, one transaction each. Statements are built once:
building one per call cost more than running it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

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

_CLAIMS = select(idempotency).where(idempotency.c.key.in_(bindparam("b_keys", expanding=True)))
_MARK = update(idempotency).where(idempotency.c.key == bindparam("b_key")).values(position=bindparam("b_position"))
_COUNT_PRIOR = select(func.count()).select_from(history).where(
    history.c.customer_ref == bindparam("b_ref"),
    history.c.complaint_id != bindparam("b_id"),
    history.c.received_at >= bindparam("b_from"),
    history.c.received_at <= bindparam("b_to"),
)
_WITH_HISTORY = select(history.c.customer_ref).distinct().where(
    history.c.customer_ref.in_(bindparam("b_refs", expanding=True)))


@dataclass(frozen=True)
class Claim:
    fingerprint: str
    complaint_id: str
    event_json: str
    position: str | None


class HistoryEntry(NamedTuple):
    customer_ref: str
    complaint_id: str
    received_at: datetime


class IntakeStore:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        ensure_schema(self.engine, metadata)

    # one transaction each ------------------------------------------------
    def get(self, key: str) -> Claim | None:
        with self.engine.connect() as conn:
            return self.get_many_in(conn, [key]).get(key)

    def claim(self, key: str, fingerprint: str, complaint_id: str, event_json: str, now: datetime) -> Claim:
        """Record the key; if another request got there first, return its claim instead."""
        with self.engine.begin() as conn:
            return self.claim_in(conn, key, fingerprint, complaint_id, event_json, now)

    def mark_published(self, key: str, position: str) -> None:
        with self.engine.begin() as conn:
            self.mark_published_in(conn, {key: position})

    def prior_complaints(self, customer_ref: str, complaint_id: str, received_at: datetime, days: int) -> int:
        """Count this customer's earlier complaints in the window, and record this one."""
        with self.engine.begin() as conn:
            return self.prior_complaints_in(conn, customer_ref, complaint_id, received_at, days)

    # inside the caller's transaction ---------------------------------------
    def get_many_in(self, conn: Connection, keys: Sequence[str]) -> dict[str, Claim]:
        """The claims of these keys (absent keys are left out), in one query per 500 keys."""
        out: dict[str, Claim] = {}
        for start in range(0, len(keys), 500):
            rows = conn.execute(_CLAIMS, {"b_keys": list(keys[start:start + 500])})
            out.update({r.key: Claim(r.fingerprint, r.complaint_id, r.event_json, r.position) for r in rows})
        return out

    def claim_in(self, conn: Connection, key: str, fingerprint: str, complaint_id: str, event_json: str,
                 now: datetime) -> Claim:
        """Insert the key unless it exists; return the claim that stands."""
        if _insert_ignore(conn, idempotency, {"key": key, "fingerprint": fingerprint, "complaint_id": complaint_id,
                                              "event_json": event_json, "position": None, "created_at": now}):
            return Claim(fingerprint, complaint_id, event_json, None)
        return self.get_many_in(conn, [key])[key]

    def prior_complaints_in(self, conn: Connection, customer_ref: str, complaint_id: str, received_at: datetime,
                            days: int) -> int:
        """Count this customer's earlier complaints in the window, then record this complaint once."""
        count = conn.execute(_COUNT_PRIOR, {"b_ref": customer_ref, "b_id": complaint_id,
                                            "b_from": received_at - timedelta(days=days), "b_to": received_at},
                             ).scalar_one()
        _insert_ignore(conn, history, {"complaint_id": complaint_id, "customer_ref": customer_ref,
                                       "received_at": received_at})
        return int(count)

    def group_prior_complaints_in(self, conn: Connection, entries: Sequence[HistoryEntry], days: int) -> list[int]:
        """`prior_complaints_in` for each entry in order, with the same counts, in far fewer statements.

        One query finds which of the group's customers have any history; only their entries are
        counted in SQL. The others (new customers: most of them) can only have complaints earlier in
        this group, counted here, and are recorded by one executemany.
        """
        refs = sorted({e.customer_ref for e in entries})
        known = set(conn.execute(_WITH_HISTORY, {"b_refs": refs}).scalars()) if refs else set()
        window = timedelta(days=days)
        counts: list[int] = []
        group: dict[str, dict[str, datetime]] = {}  # customer -> complaint id -> received_at, in this group
        rows: list[dict[str, Any]] = []
        for e in entries:
            if e.customer_ref in known:
                counts.append(self.prior_complaints_in(conn, e.customer_ref, e.complaint_id, e.received_at, days))
                continue
            seen = group.setdefault(e.customer_ref, {})
            counts.append(sum(1 for other, at in seen.items()
                              if other != e.complaint_id and e.received_at - window <= at <= e.received_at))
            if e.complaint_id not in seen:
                seen[e.complaint_id] = e.received_at
                rows.append({"complaint_id": e.complaint_id, "customer_ref": e.customer_ref,
                             "received_at": e.received_at})
        _insert_ignore_many(conn, history, rows)
        return counts

    def mark_published_in(self, conn: Connection, positions: Mapping[str, str]) -> None:
        """Record the log position of several published keys (one executemany)."""
        if positions:
            conn.execute(_MARK, [{"b_key": k, "b_position": p} for k, p in positions.items()])


#: INSERT ... ON CONFLICT DO NOTHING per dialect and table, built once. `rowcount` cannot tell whether
#: the row went in (SQLAlchemy reports -1 for it on psycopg), so the single-row form returns the key.
_IGNORING: dict[str, dict[str, Any]] = {
    name: {t.name: make(t).on_conflict_do_nothing() for t in (idempotency, history)}
    for name, make in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert))
}
_IGNORING_RETURNING: dict[str, dict[str, Any]] = {
    name: {t.name: make(t).on_conflict_do_nothing().returning(*t.primary_key.columns) for t in (idempotency, history)}
    for name, make in (("sqlite", sqlite.insert), ("postgresql", postgresql.insert))
}


def _insert_ignore(conn: Connection, table: Table, values: dict[str, Any]) -> bool:
    """Insert a row unless its primary key exists (without aborting the transaction); True if inserted."""
    stmt = _IGNORING_RETURNING.get(conn.dialect.name, {}).get(table.name)
    if stmt is not None:
        return conn.execute(stmt, values).first() is not None
    try:
        with conn.begin_nested():
            conn.execute(insert(table).values(**values))
        return True
    except IntegrityError:
        return False


def _insert_ignore_many(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """`_insert_ignore` for several rows: one executemany where the dialect has ON CONFLICT DO NOTHING."""
    stmt = _IGNORING.get(conn.dialect.name, {}).get(table.name)
    if stmt is not None and rows:
        conn.execute(stmt, list(rows))
    else:
        for row in rows:
            _insert_ignore(conn, table, row)

"""The notifier's store: each case as it knows it, one row per message (the claim), the ledger.

`notifier_deliveries` has a unique `(cause_id, channel)`: a message is inserted once whatever
the redeliveries, restarts or replicas, and sent only by the process whose `claim` moved it to
`sending` (one UPDATE, compare-and-set on its status). Rows hold no personal data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from complaints.db import ensure_schema, make_engine
from services.notifier.case import CustomerCase
from services.notifier.ledger import LedgerEntry, entries, follow_up_due_at
from services.notifier.plan import Planned
from services.notifier.tables import cases, deliveries, ledger, metadata


class Conflict(Exception):
    """A case changed under us (another replica): fold the batch again."""


@dataclass(frozen=True)
class Delivery:
    id: str
    cause_id: str
    channel: str
    complaint_id: str
    kind: str
    offer_id: str | None
    payload: str | None
    attempts: int
    due_at: datetime


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class NotifierStore:
    def __init__(self, url: str) -> None:
        self.engine: Engine = make_engine(url)
        ensure_schema(self.engine, metadata)
        dialect = self.engine.dialect.name
        self._insert_once = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(deliveries)

    # cases --------------------------------------------------------------------------------
    def load_cases(self, ids: Sequence[str]) -> dict[str, tuple[CustomerCase, int]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(cases).where(cases.c.complaint_id.in_(list(ids)))).all()
        return {r.complaint_id: (CustomerCase.model_validate_json(r.doc), r.version) for r in rows}

    def case(self, complaint_id: str) -> CustomerCase | None:
        found = self.load_cases([complaint_id]).get(complaint_id)
        return found[0] if found else None

    def save(self, changed: dict[str, tuple[CustomerCase, int]], planned: Sequence[Planned], now: datetime) -> int:
        """Write the folded cases (if unchanged since read) and insert new messages, in ONE transaction.

        Returns how many messages were new; raises `Conflict` when another process changed a case.
        """
        try:
            with self.engine.begin() as conn:
                for cid, (case, version) in changed.items():
                    values = {"doc": case.model_dump_json(), "follow_up_due_at": follow_up_due_at(case)}
                    if version == 0:
                        conn.execute(insert(cases).values(complaint_id=cid, version=1, **values))
                    elif not conn.execute(update(cases).where(cases.c.complaint_id == cid, cases.c.version == version)
                                          .values(version=version + 1, **values)).rowcount:
                        raise Conflict(cid)
                    self._write_ledger(conn, case)
                if not planned:
                    return 0
                rows = [_row(p, now) for p in planned]
                stmt = (self._insert_once.on_conflict_do_nothing(index_elements=["cause_id", "channel"])
                        .returning(deliveries.c.id))
                return sum(len(conn.execute(stmt, row).all()) for row in rows)
        except IntegrityError:  # a case inserted by another process meanwhile
            raise Conflict("a case was stored by another process meanwhile") from None

    def _write_ledger(self, conn: Connection, case: CustomerCase) -> None:
        rows = [{"offer_id": e.offer_id, "complaint_id": e.complaint_id, "customer_ref": e.customer_ref,
                 "offered_at": e.offered_at, "level": e.level, "offered_by": e.offered_by, "status": e.status,
                 "remedy_types": "," + ",".join(sorted({r["type"] for r in e.remedies})) + ",",
                 "entry": e.model_dump_json()} for e in entries(case)]
        conn.execute(delete(ledger).where(ledger.c.complaint_id == case.complaint_id))
        if rows:
            conn.execute(insert(ledger), rows)

    def ledger(self, *, customer_ref: str | None = None, since: datetime | None = None,
               until: datetime | None = None, remedy_type: str | None = None, level: str | None = None,
               staff: str | None = None, status: str | None = None, limit: int = 1000) -> list[LedgerEntry]:
        """Ledger entries matching every filter given, oldest offer first (`until` is exclusive)."""
        c = ledger.c
        query = select(c.entry).order_by(c.offered_at, c.offer_id).limit(limit)
        for column, value in ((c.customer_ref, customer_ref), (c.level, level), (c.offered_by, staff),
                              (c.status, status)):
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            query = query.where(c.offered_at >= since)
        if until is not None:
            query = query.where(c.offered_at < until)
        if remedy_type is not None:
            query = query.where(c.remedy_types.contains(f",{remedy_type},"))
        with self.engine.connect() as conn:
            return [LedgerEntry.model_validate_json(raw) for raw in conn.execute(query).scalars()]

    def follow_ups_due(self, now: datetime, limit: int = 500) -> list[CustomerCase]:
        """Cases whose follow-up is due, the longest waiting first."""
        with self.engine.connect() as conn:
            docs = conn.execute(select(cases.c.doc).where(cases.c.follow_up_due_at <= now)
                                .order_by(cases.c.follow_up_due_at).limit(limit)).scalars()
            return [CustomerCase.model_validate_json(doc) for doc in docs]

    # deliveries ---------------------------------------------------------------------------
    def due(self, now: datetime, limit: int = 100) -> list[Delivery]:
        d = deliveries.c
        ready = or_(and_(d.status.in_(("pending", "retry")), d.due_at <= now),
                    and_(d.status == "sending", d.lease_until < now))  # its sender died mid-way
        with self.engine.connect() as conn:
            rows = conn.execute(select(d.id, d.cause_id, d.channel, d.complaint_id, d.kind, d.offer_id, d.payload,
                                       d.attempts, d.due_at).where(ready).order_by(d.due_at).limit(limit)).all()
        return [Delivery(*r[:-1], _aware(r.due_at)) for r in rows]  # type: ignore[arg-type]

    def claim(self, item: Delivery, now: datetime, lease: timedelta) -> bool:
        """Take the message for sending: True for exactly one process (the attempt is counted)."""
        d = deliveries.c
        with self.engine.begin() as conn:
            return bool(conn.execute(update(deliveries).where(
                d.id == item.id, d.attempts == item.attempts,
                or_(d.status.in_(("pending", "retry")), and_(d.status == "sending", d.lease_until < now)),
            ).values(status="sending", lease_until=now + lease, attempts=item.attempts + 1)).rowcount)

    def finish(self, item: Delivery, status: str, now: datetime, error: str | None = None,
               retry_at: datetime | None = None) -> None:
        """Record the outcome of the attempt this process claimed (attempts = item.attempts + 1)."""
        values: dict[str, Any] = {"status": status, "last_error": error[:300] if error else None, "lease_until": None}
        if status == "sent":
            values["sent_at"] = now
        if retry_at is not None:
            values["due_at"] = retry_at
        with self.engine.begin() as conn:
            conn.execute(update(deliveries).where(deliveries.c.id == item.id, deliveries.c.status == "sending",
                                                  deliveries.c.attempts == item.attempts + 1).values(**values))

    def prune(self, before: datetime) -> int:
        """Delete the sent and skipped messages created before `before`; dead (and unsent) ones stay."""
        d = deliveries.c
        with self.engine.begin() as conn:
            return int(conn.execute(delete(deliveries).where(d.status.in_(("sent", "skipped")),
                                                             d.created_at < before)).rowcount)

    def deliveries_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(deliveries)).scalar_one())

    def requeue(self, delivery_id: str, now: datetime) -> bool:
        """A dead message gets a fresh round of attempts (an operator fixed the endpoint)."""
        with self.engine.begin() as conn:
            return bool(conn.execute(update(deliveries).where(
                deliveries.c.id == delivery_id, deliveries.c.status == "dead",
            ).values(status="retry", attempts=0, due_at=now)).rowcount)

    def listing(self, status: str | None, channel: str | None, complaint_id: str | None,
                limit: int) -> list[dict[str, Any]]:
        d = deliveries.c
        query = select(d.id, d.complaint_id, d.kind, d.channel, d.cause_id, d.offer_id, d.status, d.attempts,
                       d.due_at, d.sent_at, d.last_error, d.created_at)
        for column, value in ((d.status, status), (d.channel, channel), (d.complaint_id, complaint_id)):
            if value is not None:
                query = query.where(column == value)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(d.created_at, d.id).limit(limit)).mappings().all()
        return [dict(r) for r in rows]


def _row(p: Planned, now: datetime) -> dict[str, Any]:
    return {"id": p.delivery_id, "cause_id": p.cause_id, "channel": p.channel, "complaint_id": p.complaint_id,
            "kind": p.kind, "offer_id": p.offer_id, "payload": p.payload, "status": "pending", "attempts": 0,
            "due_at": p.due_at, "created_at": now}

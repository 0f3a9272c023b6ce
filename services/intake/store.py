"""Intake's own tables: idempotency keys and each customer's complaint history.

Shared by every intake replica through the database (`COMPLAINTS_DATABASE_URL`),
so an `Idempotency-Key` holds across restarts and replicas.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, func, insert, select, update
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

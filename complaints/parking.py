"""Parked records: what a service could not process and retrying cannot fix, kept in its own store.

A record is parked with its origin (topic, partition, offset), key, value, headers, the error and
the time, in the `parked` table of the service's own database (SQLite or PostgreSQL), so the
partition moves on and nothing is lost. Parking the same record twice (a redelivery) keeps one row:
its id is derived from the service and the origin. `complaints parked list` shows them;
`complaints parked redrive` re-publishes them to their origin topic (after the cause is fixed).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Integer, LargeBinary, MetaData, String, Table, Text, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from complaints.db import ensure_schema, make_engine
from complaints.ids import deterministic_id

metadata = MetaData()
parked = Table(
    "parked",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("service", String(32), nullable=False, index=True),
    Column("topic", String(255), nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", Integer, nullable=False),
    Column("key", LargeBinary),
    Column("value", LargeBinary),
    Column("headers", Text, nullable=False),  # JSON: [[name, base64 value], ...]
    Column("error", Text, nullable=False),
    Column("parked_at", DateTime(timezone=True), nullable=False),
    Column("redriven_at", DateTime(timezone=True)),
)
ERROR_MAX = 2000


@dataclass(frozen=True)
class Parked:
    id: str
    service: str
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    error: str
    parked_at: datetime
    redriven_at: datetime | None

    def summary(self) -> dict[str, Any]:
        """What `complaints parked list --json` prints: never the value (it may hold sealed personal data)."""
        out = asdict(self)
        out.update(key=self.key.decode(errors="replace") if self.key else None, value=None,
                   value_bytes=len(self.value or b""), headers=[k for k, _ in self.headers],
                   parked_at=self.parked_at.isoformat(),
                   redriven_at=self.redriven_at.isoformat() if self.redriven_at else None)
        return out


class StoreRefused(Exception):
    """The database refused a record (a value too long, a constraint): its driver's error, first line only.

    The driver's full message may quote a column's value (PostgreSQL's CONTEXT line): never kept or logged."""


def safe_error(error: BaseException) -> BaseException:
    """`error`, or for a database error a `StoreRefused` naming the driver's error without quoting values."""
    orig = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    if isinstance(error, DBAPIError) or type(orig).__module__.split(".")[0] in ("psycopg", "sqlite3"):
        text = str(orig)
        return StoreRefused(f"{type(orig).__name__}: {text.splitlines()[0] if text else ''}"[:300])
    return error


def parked_id(service: str, topic: str, partition: int, offset: int) -> str:
    return deterministic_id("parked", service, topic, partition, offset)


def _headers_json(headers: Iterable[tuple[str, bytes | None]]) -> str:
    return json.dumps([[k, base64.b64encode(v).decode()] for k, v in headers if v is not None])


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class ParkingLot:
    """The `parked` table of one database (the service's own store)."""

    def __init__(self, url_or_engine: str | Engine) -> None:
        self.engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
        ensure_schema(self.engine, metadata)

    def park(self, service: str, topic: str, partition: int, offset: int, key: bytes | None, value: bytes | None,
             headers: Iterable[tuple[str, bytes | None]], error: BaseException | str,
             now: datetime | None = None) -> str:
        """Keep the record (once per origin); returns its id."""
        pid = parked_id(service, topic, partition, offset)
        text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        row = {"id": pid, "service": service, "topic": topic, "partition": partition, "offset": offset, "key": key,
               "value": value, "headers": _headers_json(headers), "error": text[:ERROR_MAX],
               "parked_at": now or datetime.now(UTC)}
        try:
            with self.engine.begin() as conn:
                conn.execute(parked.insert().values(**row))
        except IntegrityError:
            pass  # parked already (a redelivery of the same record)
        return pid

    def list(self, service: str | None = None, include_redriven: bool = False) -> list[Parked]:
        query = select(parked).order_by(parked.c.parked_at, parked.c.id)
        if service:
            query = query.where(parked.c.service == service)
        if not include_redriven:
            query = query.where(parked.c.redriven_at.is_(None))
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [Parked(r["id"], r["service"], r["topic"], r["partition"], r["offset"], r["key"], r["value"],
                       [(k, base64.b64decode(v)) for k, v in json.loads(r["headers"])], r["error"],
                       _utc(r["parked_at"]) or datetime.now(UTC), _utc(r["redriven_at"])) for r in rows]

    def mark_redriven(self, ids: Sequence[str], now: datetime | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(parked).where(parked.c.id.in_(list(ids))).values(redriven_at=now or datetime.now(UTC)))

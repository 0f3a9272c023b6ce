"""The personal-data access log: who read which case's personal data, when, and why — and who erased whom.

Append-only: the class offers no update or delete, and the database refuses them (triggers on
SQLite and PostgreSQL). It holds staff ids, complaint ids, pseudonymous customer references and
the stated reasons — never the personal data itself — so it is kept when a customer is erased.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Boolean, Column, DateTime, Engine, MetaData, String, Table, event, insert, select, text

from complaints.db import ensure_schema, make_engine

Outcome = Literal["disclosed", "erased"]
metadata = MetaData()
access_log = Table(
    "personal_data_access",
    metadata,
    Column("access_id", String(36), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("staff_id", String(200), nullable=False),
    Column("complaint_id", String(64), nullable=False, index=True),
    Column("customer_ref", String(64)),
    Column("reason", String(500), nullable=False),
    Column("outcome", String(16), nullable=False),
)

erasures = Table(
    "customer_erasures",
    metadata,
    Column("erasure_id", String(36), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("staff_id", String(200), nullable=False),
    Column("customer_ref", String(64), nullable=False, index=True),
    Column("reason", String(500), nullable=False),
    Column("erased", Boolean, nullable=False),
)
_REFUSAL = "the personal-data access log is append-only"


def _guards(table: str, dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN RAISE EXCEPTION '{_REFUSAL}'; END $$",
                f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"]
    return [f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END" for op in ("UPDATE", "DELETE")]


@event.listens_for(access_log, "after_create")
@event.listens_for(erasures, "after_create")
def _append_only(target: Table, connection: object, **_: object) -> None:
    from sqlalchemy import Connection

    assert isinstance(connection, Connection)
    for statement in _guards(target.name, connection.dialect.name):
        connection.execute(text(statement))


@dataclass(frozen=True)
class Access:
    access_id: str
    at: datetime
    staff_id: str
    complaint_id: str
    customer_ref: str | None
    reason: str
    outcome: Outcome


@dataclass(frozen=True)
class Erasure:
    erasure_id: str
    at: datetime
    staff_id: str
    customer_ref: str
    reason: str
    erased: bool


class AccessLog:
    def __init__(self, url: str) -> None:
        self.engine: Engine = make_engine(url)
        ensure_schema(self.engine, metadata)

    def append(self, *, staff_id: str, complaint_id: str, customer_ref: str | None, reason: str,
               outcome: Outcome) -> Access:
        entry = Access(str(uuid.uuid4()), datetime.now(UTC), staff_id, complaint_id, customer_ref, reason, outcome)
        with self.engine.begin() as conn:
            conn.execute(insert(access_log).values(**vars(entry)))
        return entry

    def for_case(self, complaint_id: str) -> list[Access]:
        query = select(access_log).where(access_log.c.complaint_id == complaint_id).order_by(
            access_log.c.at, access_log.c.access_id)
        with self.engine.connect() as conn:
            return [Access(r.access_id, _utc(r.at), r.staff_id, r.complaint_id, r.customer_ref, r.reason, r.outcome)
                    for r in conn.execute(query)]

    def erased(self, *, staff_id: str, customer_ref: str, reason: str, erased: bool) -> Erasure:
        entry = Erasure(str(uuid.uuid4()), datetime.now(UTC), staff_id, customer_ref, reason, erased)
        with self.engine.begin() as conn:
            conn.execute(insert(erasures).values(**vars(entry)))
        return entry

    def erasures_of(self, customer_ref: str) -> list[Erasure]:
        query = select(erasures).where(erasures.c.customer_ref == customer_ref).order_by(erasures.c.at)
        with self.engine.connect() as conn:
            return [Erasure(r.erasure_id, _utc(r.at), r.staff_id, r.customer_ref, r.reason, r.erased)
                    for r in conn.execute(query)]

    def dispose(self) -> None:
        self.engine.dispose()


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)

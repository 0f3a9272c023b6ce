"""The vault's two tables, and the one change to them since they were first created."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Engine, LargeBinary, MetaData, String, Table, inspect, text
from sqlalchemy.exc import DBAPIError

metadata = MetaData()
keys = Table(
    "vault_keys",
    metadata,
    Column("customer_ref", String(64), primary_key=True),
    Column("key", LargeBinary, nullable=False),  # wrapped by the master key `kek_id`
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("kek_id", String(64), nullable=True),  # NULL: stored before wrapping (rotation wraps it)
)
identities = Table(
    "vault_identities",
    metadata,
    Column("lookup", String(64), primary_key=True),
    Column("customer_ref", String(64), nullable=False, index=True),
)


def add_kek_column(engine: Engine) -> None:
    """A vault created before keys were wrapped gets the `kek_id` column (its keys read as unwrapped)."""
    if "kek_id" not in {c["name"] for c in inspect(engine).get_columns("vault_keys")}:
        try:
            with engine.begin() as conn:
                conn.execute(text("ALTER TABLE vault_keys ADD COLUMN kek_id VARCHAR(64)"))
        except DBAPIError:  # another process added it first
            if "kek_id" not in {c["name"] for c in inspect(engine).get_columns("vault_keys")}:
                raise

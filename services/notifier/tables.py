"""The notifier's tables (SQLite or PostgreSQL through complaints/db.py). Rows hold no personal data.

- `notifier_cases`: each case as the notifier knows it (JSON), with its follow-up due time;
- `notifier_deliveries`: one row per message, unique per `(cause_id, channel)`: the claim;
- `notifier_ledger`: one row per offer, what was offered, accepted and given (exact decimals).
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()
cases = Table(
    "notifier_cases", metadata,
    Column("complaint_id", String(64), primary_key=True),
    Column("doc", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("follow_up_due_at", DateTime(timezone=True), index=True),  # the follow-up worklist
)
ledger = Table(
    "notifier_ledger", metadata,
    Column("offer_id", String(64), primary_key=True),
    Column("complaint_id", String(64), nullable=False, index=True),
    Column("customer_ref", String(64), index=True),
    Column("offered_at", DateTime(timezone=True), nullable=False, index=True),
    Column("level", String(16), nullable=False),
    Column("offered_by", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("remedy_types", String(400), nullable=False),  # ",coupon,refund," (a filter; amounts are in `entry`)
    Column("entry", Text, nullable=False),  # the LedgerEntry as JSON: exact decimal strings
)
deliveries = Table(
    "notifier_deliveries", metadata,
    Column("id", String(36), primary_key=True),
    Column("cause_id", String(64), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("complaint_id", String(64), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("offer_id", String(64)),
    Column("payload", Text),
    Column("status", String(16), nullable=False),  # pending | sending | sent | retry | dead | skipped
    Column("attempts", Integer, nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("lease_until", DateTime(timezone=True)),
    Column("last_error", String(300)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    UniqueConstraint("cause_id", "channel", name="notifier_deliveries_once"),
    Index("notifier_deliveries_due", "status", "due_at"),
)

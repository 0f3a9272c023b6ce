"""Intake's rules: classify what the customer did not say, build the event, the ids, request fingerprints.

The customer should not have to know our process: only a channel, a way to reach
them and what happened are required; category and severity are inferred here.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from complaints.ids import deterministic_id
from schemas.common import Category, Channel, Money, Sealed, Severity
from schemas.events import ComplaintReceived

# Ordered: the first category whose words appear in the description wins.
KEYWORDS: tuple[tuple[Category, tuple[str, ...]], ...] = (
    ("privacy", ("privacy", "personal data", "my data", "gdpr", "leak", "face recognition", "tracking")),
    ("billing", ("charged", "charge", "bill", "invoice", "refund", "overcharg", "payment", "tax")),
    ("delivery", ("deliver", "shipping", "shipment", "parcel", "package", "courier", "late")),
    ("wrong_order", ("wrong order", "wrong item", "wrong sandwich", "not what i ordered", "instead of")),
    ("product_defect", ("broken", "defect", "faulty", "doesn't work", "does not work", "stopped working")),
    ("staff_conduct", ("rude", "staff", "employee", "manager was", "cashier", "shouted")),
    ("wait_time", ("wait", "queue", "on hold", "slow", "hours")),
    ("policy", ("policy", "fine", "fined", "penalty", "terms")),
)


def classify_category(description: str) -> Category:
    text = description.lower()
    for category, words in KEYWORDS:
        if any(w in text for w in words):
            return category
    return "other"


def classify_severity(category: Category, channel: Channel, public: bool, amount: Money | None) -> Severity:
    """Privacy and big money are high; public complaints weigh more; the rest starts low."""
    if category == "privacy":
        return "high"
    if amount is not None and amount.amount >= 500:
        return "high"
    if public or channel == "social" or (amount is not None and amount.amount >= 100):
        return "medium"
    return "low"


def fingerprint(body: dict[str, Any]) -> str:
    """Stable hash of a request body: the same body always gives the same fingerprint."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def complaint_id_for(idempotency_key: str) -> str:
    return deterministic_id("complaint", idempotency_key)


def received_event_id(complaint_id: str) -> str:
    return deterministic_id("ComplaintReceived", complaint_id)


def build_received(
    *,
    complaint_id: str,
    channel: Channel,
    customer_ref: str,
    personal: Sealed,
    description: str,
    category: Category | None,
    severity: Severity | None,
    public: bool,
    wants_human: bool,
    order_ref: str | None,
    amount_at_stake: Money | None,
    occurred_at: datetime | None,
    received_at: datetime,
    prior_complaints: int,
) -> ComplaintReceived:
    final_category = category or classify_category(description)
    final_severity = severity or classify_severity(final_category, channel, public, amount_at_stake)
    return ComplaintReceived(
        complaint_id=complaint_id,
        channel=channel,
        customer_ref=customer_ref,
        personal=personal,
        category=final_category,
        category_source="customer" if category else "classified",
        severity=final_severity,
        severity_source="customer" if severity else "classified",
        public=public,
        wants_human=wants_human,
        order_ref=order_ref,
        amount_at_stake=amount_at_stake,
        occurred_at=occurred_at,
        received_at=received_at,
        prior_complaints=prior_complaints,
    )

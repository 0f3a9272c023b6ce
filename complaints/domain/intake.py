"""Intake's rules: classify what the customer did not say, build the event, the ids, request fingerprints.

The customer should not have to know our process: only a channel, a way to reach
them and what happened are required; category and severity are inferred here.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from complaints.domain.policy import Policy
from complaints.domain.triage import triage
from complaints.domain.wording import LEVEL_LABELS, when, words
from complaints.ids import deterministic_id
from schemas.common import Category, Channel, Money, Sealed, Severity
from schemas.events import ComplaintReceived


def classify_category(description: str, policy: Policy) -> tuple[Category, str]:
    """The policy's first category whose words appear in the description, and why (else `other`)."""
    text = description.lower()
    for entry in policy.intake.categories:
        found = next((w for w in entry.words if w in text), None)
        if found is not None:
            return entry.category, f"Classified as {words(entry.category)}: the description mentions \"{found}\"."
    return "other", f"Classified as other: {policy.intake.other_reason}"


def classify_severity(category: Category, channel: Channel, public: bool, amount: Money | None,
                      policy: Policy) -> tuple[Severity, str]:
    """The policy's first severity rule any of whose conditions holds, and its reason."""
    for rule in policy.intake.severity:
        when = rule.when
        if ((when.category is not None and category in when.category)
                or (when.channel is not None and channel in when.channel)
                or (when.public is not None and public == when.public)
                or (when.min_amount is not None and amount is not None and amount.amount >= when.min_amount)):
            return rule.severity, rule.reason
    return policy.intake.default_severity, policy.intake.default_reason


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
    policy: Policy,
) -> ComplaintReceived:
    """The received event, with intake's reasons, the policy it was classified under, the
    first-response due time triage sets and the resolution target (facts on the log: no reader
    recomputes them later from another policy)."""
    reasons = []
    final_category, final_severity = category, severity
    if final_category is None:
        final_category, why = classify_category(description, policy)
        reasons.append(why)
    if final_severity is None:
        final_severity, why = classify_severity(final_category, channel, public, amount_at_stake, policy)
        reasons.append(why)
    received = ComplaintReceived(
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
        policy_version=policy.policy_id,
    )
    decided = triage(received, policy)
    owner = (f"Triage under policy {policy.policy_id}: {LEVEL_LABELS[decided.level]} owns the case; "
             f"first response due by {when(decided.sla_due_at)}.")
    return received.model_copy(update={"reasons": (*reasons, owner, *decided.reasons),
                                       "first_response_due_at": decided.sla_due_at,
                                       "resolution_target": policy.resolution_target(channel, decided.level,
                                                                                     decided.department)})

"""Value types shared by every event of the complaint lifecycle.

These are part of the published contract: a change here is a change to every
event's JSON Schema, so add, never rename, and bump the event version when a
field's meaning changes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

Channel = Literal["phone", "email", "web", "chat", "social", "in_person"]
Category = Literal[
    "wrong_order",
    "product_defect",
    "billing",
    "delivery",
    "staff_conduct",
    "wait_time",
    "privacy",
    "policy",
    "other",
]
Severity = Literal["low", "medium", "high", "critical"]
Level = Literal["front_line", "supervisor", "manager", "department", "executive"]
Department = Literal["product", "finance", "hr", "privacy_legal", "operations"]
RemedyType = Literal[
    "apology",
    "replacement",
    "repair",
    "refund",
    "account_credit",
    "coupon",
    "free_product",
    "expedited_service",
]
EscalationReason = Literal["triage", "sla_breached", "reopened", "manual", "customer_request"]
FollowUpOutcome = Literal["satisfied", "unsatisfied", "no_response"]

#: Levels in escalation order; "one level up" means the next entry.
LEVELS: tuple[Level, ...] = ("front_line", "supervisor", "manager", "department", "executive")

DecimalString = Annotated[
    Decimal,
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
    Field(json_schema_extra={"type": "string", "pattern": r"^\d+(\.\d+)?$"}),
]


class Frozen(BaseModel):
    """Base for every contract model: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Money(Frozen):
    """An amount of money as a decimal string plus an ISO-4217 currency code."""

    amount: DecimalString = Field(ge=0, description="Decimal string, never negative, e.g. '12.50'.")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO-4217 code, e.g. 'USD'.")


class Sealed(Frozen):
    """Personal data, encrypted with the customer's own key (crypto-shredding).

    The key lives in the PII vault, never on a topic; deleting it makes every
    `Sealed` blob of that customer unreadable while the rest of the event stays.
    `aad` binds the ciphertext to its event so a blob cannot be moved between events.
    """

    scheme: Literal["aes256gcm.v1"] = "aes256gcm.v1"
    key_ref: str = Field(description="Customer reference whose vault key sealed this blob.")
    nonce: str = Field(description="Base64 (URL-safe) 96-bit nonce.")
    ciphertext: str = Field(description="Base64 (URL-safe) AES-256-GCM ciphertext with tag.")

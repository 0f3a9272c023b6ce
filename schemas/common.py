"""Value types shared by every event of the complaint lifecycle.

These are part of the published contract: a change here is a change to every
event's JSON Schema, so add, never rename, and bump the event version when a
field's meaning changes.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator, WithJsonSchema

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
#: Why staff closed a case without an offer (`CaseClosed`): never a penalty for the customer.
CloseReason = Literal["resolved", "duplicate", "abuse"]
#: A staff id as the case-work events record it (an opaque id: never an e-mail address).
STAFF_ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"

#: Levels in escalation order; "one level up" means the next entry.
LEVELS: tuple[Level, ...] = ("front_line", "supervisor", "manager", "department", "executive")

#: At most 12 integer digits and 2 decimals, no sign, no exponent: the largest amount is 999999999999.99.
AMOUNT_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
_AMOUNT = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,2})?")
_AMOUNT_MAX_LENGTH = 15
_CENT = Decimal("0.01")
#: The largest amount a `Money` holds.
MAX_AMOUNT = Decimal("999999999999.99")
_AMOUNT_RULE = "must be a decimal string with at most 12 digits and 2 decimals, no sign or exponent, e.g. '12.50'"


def bounded_amount(value: object) -> Decimal:
    """The amount as a Decimal, refused unless it is within the bounds above.

    A string is checked BEFORE it becomes a Decimal: `"1e200000000"` is refused by its shape
    (microseconds), never expanded (formatting it took 1.3 s and 400 MB). A Decimal (built in
    code, e.g. a quantized total) must be finite, non-negative, whole cents and below 10^12.
    """
    if isinstance(value, str):
        if len(value) > _AMOUNT_MAX_LENGTH or _AMOUNT.fullmatch(value) is None:
            raise ValueError(_AMOUNT_RULE)
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite() or value < 0 or (value and value.adjusted() >= 12) or value != value.quantize(_CENT):
            raise ValueError(_AMOUNT_RULE)
        exponent = value.as_tuple().exponent
        return value.quantize(_CENT) if isinstance(exponent, int) and exponent < -2 else value  # "1.000" -> "1.00"
    raise ValueError(_AMOUNT_RULE)


Amount = Annotated[
    Decimal,
    PlainValidator(bounded_amount),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": AMOUNT_PATTERN, "maxLength": _AMOUNT_MAX_LENGTH}),
]


class Frozen(BaseModel):
    """Base for every contract model: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Money(Frozen):
    """An amount of money as a decimal string plus an ISO-4217 currency code."""

    amount: Amount = Field(description="Decimal string: at most 12 digits and 2 decimals, no sign, e.g. '12.50'.")
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

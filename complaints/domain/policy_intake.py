"""Intake's classification as part of the versioned policy: the words that name a category, the
rules that set a severity. Only what the customer did not say is classified (`domain/intake.py`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from schemas.common import Category, Channel, Severity


def _as_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CategoryWords(_Strict):
    """A category and the words (lower case, matched as substrings) that name it."""

    category: Category
    words: tuple[Annotated[str, Field(min_length=1)], ...] = Field(min_length=1)


class SeverityMatch(_Strict):
    """Any of these conditions makes the rule hold (an empty match holds for every complaint)."""

    category: Annotated[tuple[Category, ...], BeforeValidator(_as_list)] | None = None
    channel: Annotated[tuple[Channel, ...], BeforeValidator(_as_list)] | None = None
    public: bool | None = None
    min_amount: Annotated[Decimal, Field(ge=0)] | None = None  # in the complaint's own currency


class SeverityRule(_Strict):
    name: str = Field(min_length=1)
    when: SeverityMatch
    severity: Severity
    reason: str = Field(min_length=1)


class IntakePolicy(_Strict):
    """`intake:` in the policy file (docs/policy.md)."""

    categories: tuple[CategoryWords, ...] = ()  # ordered: the first category whose words appear wins
    other_reason: str = "None of the policy's words for a category appear in the description."
    severity: tuple[SeverityRule, ...] = ()  # ordered: the first rule that holds decides
    default_severity: Severity = "low"
    default_reason: str = "No severity rule holds: the complaint starts at the default severity."

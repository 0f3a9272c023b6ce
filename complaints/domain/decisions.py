"""What a decision returns (`Emit`), what it refuses with (`DomainError`), and shared wording."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from schemas.common import LEVELS, Level, Money
from schemas.events import Event

CENT = Decimal("0.01")
LEVEL_LABELS: dict[Level, str] = {
    "front_line": "the front line",
    "supervisor": "a supervisor",
    "manager": "a manager",
    "department": "the specialist department",
    "executive": "an executive",
}


@dataclass(frozen=True)
class Emit:
    """One event to produce: its payload, its deterministic id, and the id of what caused it."""

    event: Event
    event_id: str
    causation_id: str | None


class DomainError(Exception):
    """A request the domain refuses; the message is written for the person who asked."""


class UnknownCase(DomainError):
    """No such complaint (or its ComplaintReceived has not arrived yet)."""


class CaseClosed(DomainError):
    """The case is closed; nothing more can happen to it."""


class InvalidEscalation(DomainError):
    """A manual escalation that does not move the case up."""


class InvalidOffer(DomainError):
    """A manual offer that breaks the policy (unknown remedy, charging the customer, wrong level...)."""


class AuthorityExceeded(InvalidOffer):
    """An offer above the authority limit of the level making it."""

    def __init__(self, message: str, *, limit: Money | None, total: Money) -> None:
        super().__init__(message)
        self.limit = limit
        self.total = total


class NoOpenOffer(DomainError):
    """A follow-up answer when no recovery offer is waiting for one."""


#: Each level's place from the bottom (front line 0); the folds look it up on every event.
RANKS: dict[str, int] = {level: index for index, level in enumerate(LEVELS)}


def rank(level: Level) -> int:
    return RANKS[level]


def level_above(level: Level) -> Level | None:
    """The next level up, or None at the top."""
    index = rank(level) + 1
    return LEVELS[index] if index < len(LEVELS) else None


def money(amount: Decimal, currency: str) -> Money:
    return Money(amount=amount.quantize(CENT, rounding=ROUND_HALF_UP), currency=currency)


def show(value: Money | None) -> str:
    return "nothing" if value is None else f"{value.currency} {value.amount:.2f}"


def when(moment: datetime) -> str:
    """A timestamp for human-readable reasons, always in UTC (naive means UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def words(code: str) -> str:
    """`wrong_order` -> `wrong order`."""
    return code.replace("_", " ")

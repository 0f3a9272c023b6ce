"""Shared wording of the decisions' reasons: levels, money, times and codes in plain words."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.common import Level, Money

LEVEL_LABELS: dict[Level, str] = {
    "front_line": "the front line",
    "supervisor": "a supervisor",
    "manager": "a manager",
    "department": "the specialist department",
    "executive": "an executive",
}


def show(value: Money | None) -> str:
    return "nothing" if value is None else f"{value.currency} {value.amount:.2f}"


def when(moment: datetime) -> str:
    """A timestamp for human-readable reasons, always in UTC (naive means UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def words(code: str) -> str:
    """`wrong_order` -> `wrong order`."""
    return code.replace("_", " ")

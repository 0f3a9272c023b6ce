"""Business hours and the resolution target, as events record them (part of the published contract).

A `ComplaintReceived` (v3) records the resolution target the policy set when the case arrived: the
time allowed, whether the clock pauses while an offer awaits the customer's answer, and the
business hours it counts on (the calendar itself, not its name: a later policy that changes the
calendar leaves the case's past SLA results as they were). The policy's calendars are this type too
(`complaints/domain/policy_calendar.py` adds the arithmetic), so the shape and its checks are
defined once.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
MAX_HOLIDAYS = 1000  # a calendar lists a few years of holidays, never more


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone (e.g. Europe/London)") from None
    return name


def _hours(value: str) -> str:
    match = _HOURS.match(value)
    if match is None or (int(match[3]), int(match[4])) > (24, 0) or match.group(1, 2) >= match.group(3, 4):
        raise ValueError(f"{value!r}: opening hours are written HH:MM-HH:MM, opening before closing")
    return value


class BusinessHours(BaseModel):
    """A time zone (IANA), weekly opening hours in local time, holidays (local dates, closed all day)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time_zone: Annotated[str, Field(max_length=64), AfterValidator(_zone)]
    hours: dict[Weekday, Annotated[str, Field(max_length=11), AfterValidator(_hours)]] = Field(min_length=1)
    holidays: tuple[date, ...] = Field(default=(), max_length=MAX_HOLIDAYS)


class ResolutionTarget(BaseModel):
    """How long the case may take to resolve, counted from its arrival (v3 of `ComplaintReceived`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    allowed: timedelta = Field(gt=timedelta(0), le=timedelta(days=3660),
                               description="Time allowed to resolve, in business time on `calendar`.")
    pause_while_awaiting_customer: bool = Field(description="The clock stops while an offer awaits the "
                                                "customer's answer, and runs again at the answer.")
    calendar: BusinessHours | None = Field(default=None, description="The business hours it counts on (None: the "
                                           "wall clock).")

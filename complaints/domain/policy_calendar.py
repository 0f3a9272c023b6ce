"""Business-hours calendars in the policy, and deadlines counted in business time.

A calendar is a time zone (IANA, via the standard library's `zoneinfo`, which knows every DST
rule), weekly opening hours in local time, and holidays (local dates, closed all day). A duration
counted on a calendar only runs while it is open: 4h from Friday 16:00 with Monday-Friday
09:00-17:00 is due Monday 12:00, local time, whatever the clocks did over the weekend. Pure.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
_SEARCH_DAYS = 800  # a deadline further than this in business time means the calendar is (nearly) never open


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


class Calendar(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    time_zone: Annotated[str, AfterValidator(_zone)]
    hours: dict[Weekday, Annotated[str, AfterValidator(_hours)]] = Field(min_length=1)
    holidays: tuple[date, ...] = ()

    def _window(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
        """That local day's opening hours as UTC instants (None: closed)."""
        spec = self.hours.get(WEEKDAYS[day.weekday()])
        if spec is None or day in self.holidays:
            return None
        opens, closes = spec.split("-")
        start = datetime.combine(day, time.fromisoformat(opens), zone)
        if closes == "24:00":
            end = datetime.combine(day + timedelta(days=1), time(0), zone)
        else:
            end = datetime.combine(day, time.fromisoformat(closes), zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """`start` plus `duration` of open time (UTC). Refuses a search past ~2 years of closed days."""
        zone = ZoneInfo(self.time_zone)
        moment, left = start.astimezone(UTC), duration
        day = moment.astimezone(zone).date() - timedelta(days=1)  # the previous day's window may run past midnight
        for _ in range(_SEARCH_DAYS):
            window = self._window(day, zone)
            day += timedelta(days=1)
            if window is None or window[1] <= moment:
                continue
            opens = max(window[0], moment)
            if opens + left <= window[1]:
                return opens + left
            left -= window[1] - opens
            moment = window[1]
        raise ValueError(f"no business time left in {_SEARCH_DAYS} days on this calendar")

"""Business-hours calendars in the policy, and deadlines counted in business time.

A calendar is a time zone (IANA, via the standard library's `zoneinfo`, which knows every DST
rule), weekly opening hours in local time, and holidays (local dates, closed all day). A duration
counted on a calendar only runs while it is open: 4h from Friday 16:00 with Monday-Friday
09:00-17:00 is due Monday 12:00, local time, whatever the clocks did over the weekend. Pure.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from schemas.sla import WEEKDAYS, BusinessHours, Weekday

__all__ = ["WEEKDAYS", "Calendar", "Weekday", "clock_of"]
_SEARCH_DAYS = 800  # a deadline further than this in business time means the calendar is (nearly) never open


class Calendar(BusinessHours):
    """The policy's business hours (their shape and checks: `schemas.sla.BusinessHours`) and their arithmetic."""

    @classmethod
    def of(cls, hours: BusinessHours) -> Calendar:
        """The calendar of business hours an event recorded."""
        return hours if isinstance(hours, Calendar) else cls.model_validate(hours.model_dump())

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

    def between(self, start: datetime, end: datetime) -> timedelta:
        """The open time from `start` to `end` (zero when `end` is not after `start`): what `add` counts."""
        zone = ZoneInfo(self.time_zone)
        moment, stop = start.astimezone(UTC), end.astimezone(UTC)
        total = timedelta(0)
        if stop <= moment:
            return total
        day = moment.astimezone(zone).date() - timedelta(days=1)  # the previous day's window may run past midnight
        last = stop.astimezone(zone).date()
        while day <= last:
            window = self._window(day, zone)
            day += timedelta(days=1)
            if window is not None and window[1] > moment:
                opens, closes = max(window[0], moment), min(window[1], stop)
                if closes > opens:
                    total += closes - opens
        return total


def clock_of(hours: BusinessHours | None) -> tuple[Callable[[datetime, timedelta], datetime],
                                                  Callable[[datetime, datetime], timedelta]]:
    """`(add, between)` of these business hours, or of the wall clock (None)."""
    if hours is None:
        return _wall_add, _wall_between
    calendar = Calendar.of(hours)
    return calendar.add, calendar.between


def _wall_add(start: datetime, duration: timedelta) -> datetime:
    return start + duration


def _wall_between(start: datetime, end: datetime) -> timedelta:
    return max(end - start, timedelta(0))

"""Which stored KPI rows a window of received times reads: whole months, days and hours, plus its edges.

The tallies (`kpitiers`, kept by `services/projections/storage/kpistore.py`) are summed per received hour,
day and month ('h', 'd', 'm' spans) and channel. A window [from, to) splits into the whole hours inside
it; those into whole months, the whole days around them and the whole hours around those (`spans`). What
is left, at most a partial hour at each edge (`edges`), is folded from the cases themselves. Pure; the
row labels are the ISO prefixes of the received time (`label`: 'YYYY-MM-DDTHH' for an hour, the first day
'YYYY-MM-DD' for a day or month), the same prefixes the writer cuts from the case documents' UTC times.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from complaints.readmodel.model import utc

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
HOUR_CHARS = 13  # len("YYYY-MM-DDTHH")
#: A stored span: kind ('h' / 'd' / 'm'), its first hour or day, its end (None: unbounded).
Span = tuple[str, datetime | None, datetime | None]


def label(span: str, moment: datetime) -> str:
    """The stored `day` of a row of this kind starting at `moment` (UTC)."""
    return utc(moment).isoformat()[:HOUR_CHARS if span == "h" else 10]


def _floor(moment: datetime, unit: timedelta) -> datetime:
    hour = utc(moment).replace(minute=0, second=0, microsecond=0)
    return hour if unit == HOUR else hour.replace(hour=0)


def whole(received_from: datetime | None, received_to: datetime | None,
          unit: timedelta) -> tuple[datetime | None, datetime | None]:
    """The whole UTC hours (or days) inside [from, to): (the first one's start, the last one's end)."""
    start = None if received_from is None else _floor(received_from, unit)
    if start is not None and received_from is not None and start < utc(received_from):
        start += unit
    return start, None if received_to is None else _floor(received_to, unit)


def periods(start: datetime | None, end: datetime | None) -> list[Span]:
    """Whole days [start, end) as whole months and the days around them."""
    first = None if start is None else start if start.day == 1 else (start.replace(day=1) + 32 * DAY).replace(day=1)
    last = None if end is None else end.replace(day=1)
    if first is not None and last is not None and first >= last:
        return [("d", start, end)]
    out: list[Span] = [("m", first, last)]
    if start is not None and first is not None and start < first:
        out.append(("d", start, first))
    if end is not None and last is not None and last < end:
        out.append(("d", last, end))
    return out


def spans(start: datetime | None, end: datetime | None) -> list[Span]:
    """Whole hours [start, end) as whole months, the days around them and the hours around those."""
    if start is not None and end is not None and start >= end:
        return []
    days = whole(start, end, DAY)
    if days[0] is not None and days[1] is not None and days[0] >= days[1]:
        return [("h", start, end)]  # no whole day inside
    out = periods(*days)
    if start is not None and days[0] is not None and start < days[0]:
        out.append(("h", start, days[0]))
    if end is not None and days[1] is not None and days[1] < end:
        out.append(("h", days[1], end))
    return out


def edges(received_from: datetime | None, received_to: datetime | None) -> list[tuple[datetime | None,
                                                                                     datetime | None]]:
    """The parts of [from, to) outside its whole hours: its cases are folded from their documents."""
    start, end = whole(received_from, received_to, HOUR)
    if start is not None and end is not None and start >= end:
        return [(received_from, received_to)]  # no whole hour inside: all of it
    out: list[tuple[datetime | None, datetime | None]] = []
    if start is not None and received_from is not None and utc(received_from) < start:
        out.append((received_from, start))
    if end is not None and received_to is not None and end < utc(received_to):
        out.append((end, received_to))
    return out

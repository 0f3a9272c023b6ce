"""Which stored KPI rows a window of received times reads: whole years, months, days and hours, plus its edges.

The tallies (`kpitiers`, kept by `services/projections/storage/kpistore.py`) are summed per received hour,
day, month and year ('h', 'd', 'm', 'y' spans) and channel. A window [from, to) splits into the whole hours
inside it; those into whole years, the whole months around them, the whole days around those and the whole
hours around those (`spans`), so any window reads at most ~2 × (11 months + 30 days + 23 hours) of rows
besides its years. What is left, at most a partial hour at each edge (`edges`), is folded from the cases
themselves. Pure; the row labels are the ISO prefixes of the received time (`label`: 'YYYY-MM-DDTHH' for an
hour, the first day 'YYYY-MM-DD' for a day, month or year), the same prefixes the writer cuts from the case
documents' UTC times.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from complaints.readmodel.model import utc

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
HOUR_CHARS = 13  # len("YYYY-MM-DDTHH")
KINDS = ("y", "m", "d", "h")  # the stored spans, coarsest first: each one's rows sum the next one's
#: A stored span: kind ('y' / 'm' / 'd' / 'h'), its first hour or day, its end (None: unbounded).
Span = tuple[str, datetime | None, datetime | None]


def label(span: str, moment: datetime) -> str:
    """The stored `day` of a row of this kind starting at `moment` (UTC)."""
    return utc(moment).isoformat()[:HOUR_CHARS if span == "h" else 10]


def floor(kind: str, moment: datetime) -> datetime:
    """The start of the hour, day, month or year holding `moment` (UTC)."""
    at = utc(moment).replace(minute=0, second=0, microsecond=0)
    if kind != "h":
        at = at.replace(hour=0)
    if kind in ("m", "y"):
        at = at.replace(day=1)
    return at.replace(month=1) if kind == "y" else at


def ceil(kind: str, moment: datetime) -> datetime:
    """The start of the first whole hour, day, month or year at or after `moment`."""
    start = floor(kind, moment)
    if start == utc(moment):
        return start
    if kind == "h":
        return start + HOUR
    if kind == "d":
        return start + DAY
    return start.replace(year=start.year + 1) if kind == "y" else (start + 32 * DAY).replace(day=1)


def whole(received_from: datetime | None, received_to: datetime | None) -> tuple[datetime | None, datetime | None]:
    """The whole UTC hours inside [from, to): (the first one's start, the last one's end)."""
    return (None if received_from is None else ceil("h", received_from),
            None if received_to is None else floor("h", received_to))


def spans(start: datetime | None, end: datetime | None, kinds: tuple[str, ...] = KINDS) -> list[Span]:
    """Whole hours [start, end) as whole years, the months around them, the days around those and the hours
    around those: the coarsest kind first, then the finer spans before it, then those after it."""
    if start is not None and end is not None and start >= end:
        return []
    kind, finer = kinds[0], kinds[1:]
    if not finer:
        return [(kind, start, end)]
    lo = None if start is None else ceil(kind, start)
    hi = None if end is None else floor(kind, end)
    if lo is not None and hi is not None and lo >= hi:
        return spans(start, end, finer)  # no whole one inside
    before = [] if start is None or lo is None else spans(start, lo, finer)
    after = [] if end is None or hi is None else spans(hi, end, finer)
    return [(kind, lo, hi), *before, *after]


def edges(received_from: datetime | None, received_to: datetime | None) -> list[tuple[datetime | None,
                                                                                     datetime | None]]:
    """The parts of [from, to) outside its whole hours: its cases are folded from their documents."""
    start, end = whole(received_from, received_to)
    if start is not None and end is not None and start >= end:
        return [(received_from, received_to)]  # no whole hour inside: all of it
    out: list[tuple[datetime | None, datetime | None]] = []
    if start is not None and received_from is not None and utc(received_from) < start:
        out.append((received_from, start))
    if end is not None and received_to is not None and end < utc(received_to):
        out.append((end, received_to))
    return out

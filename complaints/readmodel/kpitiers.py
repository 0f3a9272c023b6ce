"""How the read model stores KPI contributions so a window of any size sums few rows, yet stays exact.

A contribution (`kpis.contributions`) is stored in up to three tiers:

- tier 0, the summary: everything except the exact duration values and due times. A duration counts in
  a coarse bucket of its whole seconds (`BITS[0]` leading bits kept: 8 buckets per doubling, a minute and
  more wide: `FLOOR`), its
  microseconds summed exactly; an unanswered first response counts under its channel and due DAY.
- tier 1, each coarse duration bucket split into fine buckets (`BITS[1]` bits: 64 per coarse bucket).
- tier 2, the exact values: a duration's whole seconds within its fine bucket; a due time within its day.

Tiers 0 and 1 are kept per hour, day, month and year, tier 2 per hour (`kpistore`; which rows a window reads:
`kpispans`). A report sums tier 0 over the window; for each nearest-rank percentile it replaces the one
coarse bucket holding the rank by its fine buckets, then the one fine bucket holding it by its exact values
(`holding`, `refine`; a fine bucket one second `wide` is its exact value already): the histogram is then
exact where the walk stops, so `kpis.durations_of` gives the same figure as over the full histogram. Due
days before `now`'s day are breached, after it pending, and only `now`'s own day is read exactly
(`decide_due`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime

from complaints.readmodel.kpis import DURATIONS, Contribution, Tally, at_ranks
from complaints.readmodel.model import utc

BITS = (4, 10)  # leading bits kept by the coarse and the fine buckets
FLOOR = (64, 1)  # and their least widths: coarse buckets of at least a minute (fine ones still nest in them)
#: Bounds every stored value: durations outside [-2**40, 2**40) s (35,000 years) are not a case's.
LIMIT = 2**40
SEPARATORS = ("~", "#")  # tier 1 / tier 2 metric names: f"{metric}~{coarse}" / f"{metric}#{fine}"

#: A stored contribution: (tier, metric, key, count, total).
Stored = tuple[int, str, str, int, int]


def wide(low: int, bits: int, floor: int = 1) -> int:
    """The width of the bucket whose smallest value is `low` (`bucket`: mirrored below zero)."""
    value = -1 - low if low < 0 else low
    return max(1 << max(value.bit_length() - bits, 0), floor)


def bucket(seconds: int, bits: int, floor: int = 1) -> int:
    """The smallest value of the bucket holding `seconds`: its `bits` leading bits kept, `floor` (a power of
    two) wide at least, mirrored below zero (-1 - s >= 0: the same widths, in the same order)."""
    if not -LIMIT <= seconds < LIMIT:
        raise ValueError(f"duration out of range: {seconds} s")
    value = -1 - seconds if seconds < 0 else seconds
    width = wide(value, bits, floor)
    low = value // width * width
    return -low - width if seconds < 0 else low


def tier_of(metric: str) -> int:
    """The tier of a stored metric name (see `stored`)."""
    return 2 if SEPARATORS[1] in metric else 1 if SEPARATORS[0] in metric else 0


def due_day(due: str) -> str:
    return utc(datetime.fromisoformat(due)).date().isoformat()


def stored(items: Iterable[Contribution]) -> Iterator[Stored]:
    """The stored cells of contributions: every tier of each (`kpistore` keeps tiers 0, 1 per day and month too)."""
    for metric, key, n, total in items:
        if metric in DURATIONS:
            seconds = int(key)
            coarse, fine = bucket(seconds, BITS[0], FLOOR[0]), bucket(seconds, BITS[1], FLOOR[1])
            yield 0, metric, str(coarse), n, total
            yield 1, f"{metric}~{coarse}", str(fine), n, total
            yield 2, f"{metric}#{fine}", key, n, total
        elif metric == "sla_due":
            channel, _, due = key.partition("|")
            day = due_day(due)
            yield 0, metric, f"{channel}|{day}", n, total
            yield 2, f"{metric}#{day}", key, n, total
        else:
            yield 0, metric, key, n, total


Histogram = dict[int, list[int]]  # bucket (or value) -> [count, total]


def holding(histogram: Histogram, ranks: Iterable[int]) -> list[int]:
    """The buckets (or values) of the histogram holding these ranks, in order."""
    return sorted(set(at_ranks(((k, n) for k, (n, _) in histogram.items()), ranks).values()))


def refine(histogram: Histogram, children: Mapping[int, Histogram]) -> Histogram:
    """Replace each of these buckets by its children (which sum to it exactly)."""
    out = {k: v for k, v in histogram.items() if k not in children}
    for parts in children.values():
        out.update(parts)
    return out


def decide_due(summary: Tally, now: datetime) -> tuple[Tally, str]:
    """Summed tier 0 with its due days decided against `now` (breached / pending), but `now`'s own day,
    which is left out: its exact due times are to be added (tier 2, `sla_due#<day>`). Returns that day."""
    today = utc(now).date().isoformat()
    out = Tally()
    for metric, keys in summary.sums.items():
        for key, (n, total) in keys.items():
            if metric != "sla_due":
                out.add([(metric, key, n, total)])
                continue
            channel, _, day = key.partition("|")
            if day != today:
                out.add([("sla_breached" if day < today else "sla_pending", channel, n, total)])
    return out, today


def histogram(tally: Tally, metric: str) -> Histogram:
    return {int(key): [n, total] for key, n, total in tally.keyed(metric)}


def put(tally: Tally, metric: str, hist: Histogram) -> None:
    tally.sums[metric] = {str(k): v for k, v in hist.items()}


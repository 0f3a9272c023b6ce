"""The KPI tiers' buckets and their refinement, in their pure form: same figures as the full histogram."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from complaints.readmodel.kpis import Tally, durations_of, rank
from complaints.readmodel.kpitiers import (
    BITS,
    FLOOR,
    LIMIT,
    bucket,
    decide_due,
    histogram,
    holding,
    put,
    refine,
    stored,
    tier_of,
    wide,
)

seconds = st.one_of(st.integers(-(2**20), 2**20), st.integers(-LIMIT, LIMIT - 1),
                    st.builds(lambda lead, shift, d: (lead << shift) + d, st.integers(1, 2**BITS[1]),
                              st.integers(0, 20), st.integers(-1, 1)))


def width(lo: int, bits: int, floor: int) -> int:
    value = lo if lo >= 0 else -1 - lo
    return max(1 << max(value.bit_length() - bits, 0), floor)


@given(s=seconds, t=seconds)
def test_buckets_hold_their_values_in_order_and_fine_ones_nest_in_coarse_ones(s: int, t: int) -> None:
    for bits, floor in zip(BITS, FLOOR, strict=True):
        lo = bucket(s, bits, floor)
        assert lo <= s < lo + width(lo, bits, floor), "the bucket's key is its smallest value"
        assert wide(lo, bits, floor) == width(lo, bits, floor)
        assert bucket(lo, bits, floor) == bucket(lo + width(lo, bits, floor) - 1, bits, floor) == lo
        if s <= t:
            assert bucket(s, bits, floor) <= bucket(t, bits, floor), "buckets are in the order of their values"
    coarse, fine = bucket(s, BITS[0], FLOOR[0]), bucket(s, BITS[1], FLOOR[1])
    assert bucket(fine, BITS[0], FLOOR[0]) == coarse, "a fine bucket lies inside one coarse bucket"
    assert width(fine, BITS[1], FLOOR[1]) * 64 >= width(coarse, BITS[0], FLOOR[0]), "at most 64 fine per coarse"


def test_bucket_edges_are_where_the_leading_bits_change() -> None:
    assert [bucket(s, 4) for s in (15, 16, 17, 18, 31, 32, 35, 36)] == [15, 16, 16, 18, 30, 32, 32, 36]
    assert [bucket(s, 4) for s in (-1, -16, -17, -18, -19)] == [-1, -16, -18, -18, -20]
    assert [bucket(s, 4, 64) for s in (0, 63, 64, 1023, 1024, 1151, 1152, -1, -64, -65)] == [
        0, 0, 64, 960, 1024, 1024, 1152, -64, -64, -128]
    with pytest.raises(ValueError):
        bucket(LIMIT, 4)


def tiered(values: list[int]) -> Tally:
    cells = Tally()
    cells.add((metric, key, n, total) for _, metric, key, n, total in
              stored(("first_response", str(v), 1, v * 1_000_000 + 5) for v in values))
    return cells


@given(values=st.lists(seconds, min_size=1, max_size=60), extra=st.sampled_from((0.5, 0.9, 0.01, 1.0)))
def test_refining_the_ranks_buckets_gives_the_full_histograms_figures(values: list[int], extra: float) -> None:
    cells = tiered(values)
    summary = Tally().add((m, k, n, t) for m, keys in cells.sums.items() if tier_of(m) == 0
                          for k, (n, t) in keys.items())
    hist = histogram(summary, "first_response")
    ranks = [rank(p, len(values)) for p in (0.5, 0.9, extra)]
    for sep, bits, floor in zip(("~", "#"), BITS, FLOOR, strict=True):
        held = [b for b in holding(hist, ranks) if sep == "~" or wide(b, bits, floor) > 1]  # 1 s wide: exact
        hist = refine(hist, {b: histogram(cells, f"first_response{sep}{b}") for b in held})
    put(summary, "first_response", hist)
    exact = Tally().add(("first_response", str(v), 1, v * 1_000_000 + 5) for v in values)
    assert durations_of(summary, "first_response") == durations_of(exact, "first_response")


def test_due_days_before_nows_day_are_breached_after_it_pending_and_its_own_day_left_to_read() -> None:
    due = [("sla_due", f"web|{at}", 1, 0) for at in ("2026-01-04T23:59:59+00:00", "2026-01-05T08:00:00+00:00",
                                                      "2026-01-05T18:00:00+00:00", "2026-01-06T00:00:00+00:00")]
    cells = Tally().add((m, k, n, t) for _, m, k, n, t in stored(due))
    summary = Tally().add((m, k, n, t) for m, keys in cells.sums.items() if tier_of(m) == 0
                          for k, (n, t) in keys.items())
    decided, today = decide_due(summary, datetime(2026, 1, 5, 12, tzinfo=UTC))
    assert today == "2026-01-05"
    assert (decided.n("sla_breached", "web"), decided.n("sla_pending", "web")) == (1, 1)
    assert sorted(cells.sums[f"sla_due#{today}"]) == ["web|2026-01-05T08:00:00+00:00",
                                                      "web|2026-01-05T18:00:00+00:00"]

"""A window's stored spans (whole years, months, days, hours) and its edges cover each received moment exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from complaints.readmodel.kpispans import HOUR, edges, label, spans, whole

BASE = datetime(2025, 12, 28, tzinfo=UTC)  # windows cross year and month ends (Dec 31, Jan 31, Feb 28)
offsets = st.one_of(
    st.integers(0, 800).map(lambda d: timedelta(days=d)),  # whole days over two years and more
    st.integers(0, 60 * 24 * 40).map(lambda m: timedelta(minutes=m)),  # whole minutes, hours and days among them
    st.integers(0, 3_600 * 24 * 40).map(lambda s: timedelta(seconds=s)),
    st.integers(0, 10**6 * 3_600 * 24 * 40).map(lambda us: timedelta(microseconds=us)),
    st.integers(0, 24 * 40).map(lambda h: timedelta(hours=h)),
)
bounds = st.one_of(st.none(), offsets.map(lambda d: BASE + d))


def _start(span: str, lo: datetime) -> datetime:
    if span == "y":
        return lo.replace(month=1, day=1, hour=0)
    return lo.replace(day=1, hour=0) if span == "m" else lo.replace(hour=0) if span == "d" else lo


def covering(moment: datetime, received_from: datetime | None, received_to: datetime | None) -> list[str]:
    """The parts of the window's decomposition that hold `moment`: a span (by the row it counts in) or an edge."""
    found = []
    for span, lo, hi in spans(*whole(received_from, received_to)):
        row = _start(span, moment.replace(minute=0, second=0, microsecond=0))
        if (lo is None or row >= lo) and (hi is None or row < hi):
            found.append(f"{span} {label(span, row)}")
    for lo, hi in edges(received_from, received_to):
        if (lo is None or moment >= lo) and (hi is None or moment < hi):
            found.append("edge")
    return found


@given(a=bounds, b=bounds, at=offsets)
def test_every_received_moment_is_counted_once_if_inside_the_window_and_never_if_not(
        a: datetime | None, b: datetime | None, at: timedelta) -> None:
    moment = BASE - timedelta(days=2) + at
    inside = (a is None or moment >= a) and (b is None or moment < b)
    assert len(covering(moment, a, b)) == (1 if inside else 0), (a, b, moment)


@given(a=bounds, b=bounds)
def test_spans_are_whole_years_months_days_and_hours_and_edges_less_than_an_hour(
        a: datetime | None, b: datetime | None) -> None:
    for span, lo, hi in spans(*whole(a, b)):
        for bound in (lo, hi):
            if bound is not None:
                assert bound == _start(span, bound.replace(minute=0, second=0, microsecond=0)), (span, bound)
    for lo, hi in edges(a, b):
        if lo is not None and hi is not None and spans(*whole(a, b)):
            assert hi - lo < HOUR


def test_a_week_with_arbitrary_edges_reads_hours_days_and_edges() -> None:
    a, b = datetime(2026, 10, 22, 18, 53, tzinfo=UTC), datetime(2026, 10, 29, 6, 57, 30, tzinfo=UTC)
    assert spans(*whole(a, b)) == [
        ("d", datetime(2026, 10, 23, tzinfo=UTC), datetime(2026, 10, 29, tzinfo=UTC)),
        ("h", datetime(2026, 10, 22, 19, tzinfo=UTC), datetime(2026, 10, 23, tzinfo=UTC)),
        ("h", datetime(2026, 10, 29, tzinfo=UTC), datetime(2026, 10, 29, 6, tzinfo=UTC)),
    ]
    assert edges(a, b) == [(a, datetime(2026, 10, 22, 19, tzinfo=UTC)), (datetime(2026, 10, 29, 6, tzinfo=UTC), b)]
    assert label("h", datetime(2026, 10, 29, 6, tzinfo=UTC)) == "2026-10-29T06"
    assert label("d", datetime(2026, 10, 29, tzinfo=UTC)) == "2026-10-29"


def test_a_long_window_reads_its_whole_years_then_months_days_and_hours_around_them() -> None:
    a, b = datetime(2024, 11, 30, 22, tzinfo=UTC), datetime(2026, 3, 2, 1, tzinfo=UTC)
    assert spans(*whole(a, b)) == [
        ("y", datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)),
        ("m", datetime(2024, 12, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)),
        ("h", datetime(2024, 11, 30, 22, tzinfo=UTC), datetime(2024, 12, 1, tzinfo=UTC)),
        ("m", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)),
        ("d", datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)),
        ("h", datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 2, 1, tzinfo=UTC)),
    ]
    assert spans(None, None) == [("y", None, None)]
    assert label("y", datetime(2025, 1, 1, tzinfo=UTC)) == "2025-01-01"


def test_inside_one_hour_everything_is_an_edge() -> None:
    a, b = datetime(2026, 3, 1, 10, 5, tzinfo=UTC), datetime(2026, 3, 1, 10, 55, tzinfo=UTC)
    assert spans(*whole(a, b)) == []
    assert edges(a, b) == [(a, b)]

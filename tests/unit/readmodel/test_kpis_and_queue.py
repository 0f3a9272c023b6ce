"""KPIs on a hand-computed data set; queue filters, sorting and cursors in their pure form."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import pytest

from complaints.readmodel.fold import fold
from complaints.readmodel.kpis import compute_kpis, percentile
from complaints.readmodel.model import Case
from complaints.readmodel.queue import BadCursor, Cursor, QueueFilter, matches, page
from tests.unit.readmodel import expected_kpis
from tests.unit.readmodel.factory import T0, D, H, kpi_cases

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def cases() -> list[Case]:
    grouped = defaultdict(list)
    for i, ev in enumerate(kpi_cases()):
        grouped[ev.event.complaint_id].append((ev.envelope(), f"{ev.event.topic}:0:{i}"))
    out = [fold(items)[0] for items in grouped.values()]
    return [c for c in out if c is not None]


def test_nearest_rank_percentiles() -> None:
    assert percentile([], 0.5) is None
    assert percentile([3.0], 0.9) == 3.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.9) == 4.0


def test_kpis_match_the_hand_computed_values() -> None:
    expected_kpis.check(compute_kpis(cases(), NOW).model_dump(), expected_kpis.ALL)


def test_kpis_of_one_channel() -> None:
    social = [c for c in cases() if c.channel == "social"]
    expected_kpis.check(compute_kpis(social, NOW).model_dump(), expected_kpis.SOCIAL)


def test_kpis_of_nothing_have_no_rates() -> None:
    report = compute_kpis([], NOW)
    assert report.volume == 0 and report.recovery_rate.rate is None and report.first_response.p50_s is None


def test_filters_follow_the_case_state() -> None:
    by_id = {c.complaint_id: c for c in cases()}
    pick = lambda f: sorted(cid for cid, c in by_id.items() if matches(c, f, NOW))  # noqa: E731
    assert pick(QueueFilter(status=("closed",))) == ["A", "B", "C"]
    assert pick(QueueFilter(open=True)) == ["D", "E", "F"]
    assert pick(QueueFilter(level="supervisor")) == ["E"]
    # B breached in its first episode; the SLA shown is the current episode's (B is closed, in episode 2).
    assert pick(QueueFilter(breached=True)) == ["D", "F"]
    assert pick(QueueFilter(breached=False)) == ["A", "B", "C", "E"]
    assert pick(QueueFilter(customer="cust-a")) == ["A", "E"]
    assert pick(QueueFilter(received_from=T0 + H, received_to=T0 + D)) == ["B", "D", "E"]


def test_pages_follow_urgency_and_resume_at_the_cursor() -> None:
    all_cases = cases()
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        items, cursor = page(all_cases, "urgency", cursor, 2)
        seen += [c.complaint_id for c in items]
        if cursor is None:
            break
        cursor = Cursor.decode(cursor.encode(), "urgency")
    # Pending first responses by due time (D due T0+2h15, F due T0+10d+4h); nothing pending after, by id.
    assert seen == ["D", "F", "A", "B", "C", "E"]
    newest = [c.complaint_id for c in page(all_cases, "newest", None, 10)[0]]
    assert newest == ["F", "E", "D", "B", "A", "C"]


def test_a_cursor_of_another_sort_or_garbage_is_refused() -> None:
    token = Cursor("newest", T0, "A").encode()
    with pytest.raises(BadCursor, match="sort"):
        Cursor.decode(token, "urgency")
    with pytest.raises(BadCursor):
        Cursor.decode("not-a-cursor", "urgency")

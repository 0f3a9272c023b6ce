"""The fault suite's figures: the stall is measured from the samples, the poison is repeatable."""

from __future__ import annotations

import json

from faults.measure import Progress
from faults.poison import poison_records
from schemas.events import TOPICS


def test_a_stall_is_the_longest_time_with_work_outstanding_and_no_progress() -> None:
    p = Progress([(0, 5, 5), (1, 8, 5), (2, 9, 5), (5, 9, 5), (6, 9, 9), (7, 12, 9), (8, 12, 12)])
    assert p.longest_stall() == 5  # from t=0 (last progress) to t=5
    assert p.longest_stall(after=3) == 2  # counted from the fault clearing at t=3


def test_no_outstanding_work_is_no_stall() -> None:
    assert Progress([(0, 3, 3), (10, 3, 3), (20, 3, 3)]).longest_stall() == 0


def test_the_poison_is_repeatable_covers_every_topic_and_is_mostly_undecodable() -> None:
    first, again = poison_records(400, seed=7), poison_records(400, seed=7)
    assert first == again and first != poison_records(400, seed=8)
    assert {r[0] for r in first} == set(TOPICS)
    undecodable = 0
    for _, _, value, _, _ in first:
        try:
            json.loads(value)
        except ValueError:
            undecodable += 1
    assert undecodable > 200
    assert any(len(r[4]) == 300 for r in first), "an over-long ce_id among the well-formed hostile ones"

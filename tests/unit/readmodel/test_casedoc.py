"""The fold on JSON documents is exactly the typed case: same JSON as `Case.model_dump(mode="json")`,
and inputs never changed."""

from __future__ import annotations

import copy
import random
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic_core import from_json, to_json

from complaints.envelope import Envelope
from complaints.readmodel.casedoc import advance, last_key
from complaints.readmodel.fold import fold_doc
from complaints.readmodel.model import Case
from complaints.readmodel.order import sort_key
from tests.unit.readmodel.factory import Ev, H, M, escalated, kpi_cases, offered, received, sandwich, unhappy


def by_case(events: list[Ev]) -> dict[str, list[tuple[Envelope, str]]]:
    out: dict[str, list[tuple[Envelope, str]]] = defaultdict(list)
    for i, ev in enumerate(events):
        out[ev.event.complaint_id].append((ev.envelope(), f"{ev.event.topic}:{i % 3}:{i}"))
    return out


def odd_times() -> list[Ev]:
    """Microseconds, a non-UTC zone, money at stake and a remedy without an amount."""
    at = datetime(2026, 3, 1, 12, 0, 0, 250_000, tzinfo=timezone(timedelta(hours=2)))
    got = received("odd", at, channel="social", public=True)
    event = got.event.model_copy(update={"occurred_at": at - H, "order_ref": "o-9",
                                         "amount_at_stake": offered("x", at, offer_id="x", remedies=[
                                             ("refund", "1.50", "EUR")]).event.total})  # type: ignore[attr-defined]
    return [Ev(event, at, got.id),
            escalated("odd", at + M, level="manager", reason="sla_breached"),
            offered("odd", at + 2 * M, offer_id="p1", remedies=[("apology", None, "EUR"), ("coupon", "2.00", "EUR")])]


def all_cases() -> dict[str, list[tuple[Envelope, str]]]:
    return by_case(kpi_cases() + sandwich("s") + unhappy("u") + odd_times())


def test_the_document_is_the_typed_case_as_json() -> None:
    for cid, pairs in all_cases().items():
        doc = fold_doc(pairs)
        assert doc is not None
        assert Case.model_validate(doc).model_dump(mode="json") == doc, cid
        assert from_json(to_json(doc)) == doc


def test_any_arrival_order_folds_to_the_same_document() -> None:
    rng = random.Random(7)
    for pairs in all_cases().values():
        expected = fold_doc(pairs)
        for _ in range(10):
            shuffled = pairs[:]
            rng.shuffle(shuffled)
            assert fold_doc(shuffled) == expected


def test_advance_never_changes_its_input() -> None:
    for pairs in all_cases().values():
        doc = None
        for env, position in sorted(pairs, key=lambda p: sort_key(p[0])):
            before: Any = copy.deepcopy(doc)
            after = advance(doc, env, position)
            assert doc == before and after is not doc
            doc = after
        assert doc is not None and last_key(doc) == sort_key(max((e for e, _ in pairs), key=sort_key))

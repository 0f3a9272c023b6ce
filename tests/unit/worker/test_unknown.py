"""Which unknown types a worker must understand, and how skipped ones are counted."""

from __future__ import annotations

from complaints.worker.unknown import MOST_TYPES, UnknownTypes, must_understand


def test_a_future_version_of_a_lifecycle_type_must_be_understood_another_type_need_not() -> None:
    assert must_understand("complaints.Escalated.v9") and must_understand("complaints.FollowedUp.v3")
    assert not must_understand("complaints.OfferAccepted.v1") and not must_understand("acme.Audit.v1")


def test_skipped_types_are_counted_per_type_with_a_bound_on_how_many() -> None:
    seen = UnknownTypes("recovery")
    for n in range(MOST_TYPES + 5):
        seen.skipped(f"acme.T{n}.v1")
    seen.skipped("acme.T0.v1")
    assert seen.counts["acme.T0.v1"] == 2 and seen.counts["other"] == 5 and len(seen.counts) == MOST_TYPES + 1

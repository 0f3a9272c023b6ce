"""A worker recognises the echo of an event it emitted and saved, from the record's `ce_id` header."""

from __future__ import annotations

from complaints.worker.recent import RecentlyEmitted


def headers(event_id: str) -> list[tuple[str, bytes]]:
    return [("ce_specversion", b"1.0"), ("ce_id", event_id.encode()), ("ce_type", b"complaints.Escalated.v1")]


def test_an_emitted_event_is_recognised_and_another_is_not() -> None:
    recent = RecentlyEmitted()
    recent.add(["e-1", "e-2"])
    assert recent.echo(headers("e-1")) and recent.echo(headers("e-2"))
    assert not recent.echo(headers("e-3"))


def test_records_without_an_id_header_take_the_full_path() -> None:
    recent = RecentlyEmitted()
    recent.add(["e-1"])
    assert not recent.echo(None) and not recent.echo([]) and not recent.echo([("ce_type", b"e-1")])


def test_memory_is_bounded_and_the_oldest_ids_age_out_first() -> None:
    recent = RecentlyEmitted(capacity=3)
    recent.add(["a", "b", "c", "a", "d"])  # "a" again does not refresh or duplicate it
    assert len(recent) == 3
    assert not recent.echo(headers("a"))
    assert all(recent.echo(headers(x)) for x in "bcd")

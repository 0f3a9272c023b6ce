"""The unit of work on both databases: refolds for late events, stale batches, poison events."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from complaints.readmodel.fold import fold
from complaints.readmodel.model import Case
from services.projections.ingest import changes, writer
from services.projections.ingest.writer import Classified, PoisonEvents, apply_batch
from services.projections.storage.store import Catalog, Generation
from tests.unit.readmodel.factory import Ev, unhappy


@pytest.fixture
def gen(db_url: str) -> Iterator[Generation]:
    catalog = Catalog(db_url)
    try:
        yield catalog.ensure_active()
    finally:
        catalog.dispose()


def item(ev: Ev, offset: int, partition: int = 0) -> Classified:
    rec = ev.record()
    return Classified(ev.event.topic, partition, offset, envelope=ev.envelope(), payload=rec.value.decode())


def stored_case(gen: Generation, cid: str) -> Case:
    from services.projections.storage import queries

    found = queries.get_case(gen, cid)
    assert found is not None
    return found[0]


def test_events_that_arrive_after_later_ones_refold_the_case(gen: Generation) -> None:
    events = unhappy("c-late")
    # The follow-ups and the second offer arrive first (from other partitions than the rest).
    items = [item(ev, i, partition=1 if i in (3, 5, 6) else 0) for i, ev in enumerate(events)]
    late_first = [items[3], items[6], items[5]]
    assert apply_batch(gen, late_first).refolds == 0
    result = apply_batch(gen, [i for i in items if i not in late_first])
    assert result.refolds == 1 and result.applied == 4
    expected, _ = fold((i.envelope, i.position) for i in items if i.envelope is not None)
    assert stored_case(gen, "c-late") == expected


def test_a_batch_below_the_stored_offsets_changes_nothing(gen: Generation) -> None:
    items = [item(ev, i) for i, ev in enumerate(unhappy("c-once"))]
    assert apply_batch(gen, items).applied == 7
    again = apply_batch(gen, items)
    assert (again.applied, again.stale, again.duplicates) == (0, 7, 0)
    moved = [Classified(i.topic, i.partition, i.offset + 100, i.envelope, i.payload) for i in items]
    assert apply_batch(gen, moved).duplicates == 7, "same event ids at new offsets: applied once"
    assert stored_case(gen, "c-once").event_count == 7


def test_an_event_the_projector_cannot_apply_is_reported_then_skipped(gen: Generation,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    items = [item(ev, i) for i, ev in enumerate(unhappy("c-poison"))]
    real = changes.advance

    def flaky(doc, env, position, first_response=None):  # type: ignore[no-untyped-def]
        if env.id == items[2].envelope.id:  # type: ignore[union-attr]
            raise RuntimeError("projector bug")
        return real(doc, env, position, first_response)

    monkeypatch.setattr(changes, "advance", flaky)
    with pytest.raises(PoisonEvents) as caught:
        apply_batch(gen, items)
    assert [i.offset for i, _ in caught.value.items] == [2]
    retried = [Classified(i.topic, 0, i.offset, i.envelope, i.payload, skip="malformed") if i.offset == 2 else i
               for i in items]
    result = apply_batch(gen, retried)
    assert result.applied == 6 and result.counters["malformed"] == 1
    assert stored_case(gen, "c-poison").event_count == 6


def test_optimistic_changes_overtaken_by_another_writer_are_worked_out_again(gen: Generation,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    events = unhappy("c-race")
    items = [item(ev, i, partition=i % 3) for i, ev in enumerate(events)]
    assert apply_batch(gen, items[:2]).applied == 2
    real_work_out = writer.work_out
    raced: list[str] = []

    def racing_work_out(conn, t, sql, batch_items, first_response=None):  # type: ignore[no-untyped-def]
        made = real_work_out(conn, t, sql, batch_items, first_response)
        if not raced:  # another shard writes the same case between these changes and their transaction
            raced.append("racing")
            raced.append(f"applied {apply_batch(gen, [items[2], items[5]]).applied}")
        return made

    monkeypatch.setattr(writer, "work_out", racing_work_out)
    result = apply_batch(gen, [items[3], items[4], items[6]], optimistic=True)
    assert raced == ["racing", "applied 2"] and result.applied == 3
    expected, _ = fold((i.envelope, i.position) for i in items if i.envelope is not None)
    assert stored_case(gen, "c-race") == expected

"""A bulk build (`storage/bulk.py`: what a replay and the bench's build write) holds exactly what a normal
generation does, row for row, and once finished has every index a normal generation has."""

from __future__ import annotations

from sqlalchemy import inspect

from services.projections.ingest.writer import apply_batch
from services.projections.storage.bulk import deferred, finish
from services.projections.storage.store import Catalog, Generation
from tests.integration.projections.ingest.test_writer import item
from tests.integration.projections.snapshots import assert_same, snapshot
from tests.unit.readmodel.factory import T0, D, sandwich, unhappy


def _indexes(gen: Generation) -> dict[str, set[tuple[str | None, ...]]]:
    """Per table (name without the generation suffix): the column lists of its indexes."""
    found = inspect(gen.engine)
    t = gen.tables
    return {table.name.rsplit("_g", 1)[0]: {tuple(ix["column_names"]) for ix in found.get_indexes(table.name)}
            for table in (t.cases, t.timeline, t.versions, t.kpis)}


def _write(gen: Generation) -> None:
    events = [ev for i in range(6) for ev in (unhappy(f"b{i}", T0 + i * D) if i % 2 else sandwich(f"b{i}", T0 + i * D))]
    items = [item(ev, n, partition=n % 3) for n, ev in enumerate(events)]
    late = items[5::7]  # some later events first: their cases are refolded from the timeline (its case index)
    apply_batch(gen, late)
    rest = [i for i in items if i not in late]
    for k in range(0, len(rest), 4):
        apply_batch(gen, rest[k:k + 4])


def test_a_bulk_build_equals_a_normal_one_and_finishes_with_every_index(catalog: Catalog) -> None:
    normal, bulk = catalog.create(), catalog.create(bulk=True)
    assert deferred(bulk.tables), "the read-only indexes are deferred"
    everything = _indexes(normal)
    before = _indexes(bulk)
    assert before["timeline"] == {("complaint_id",)}, "the writer's refold lookup stays"
    assert not before["cases"] and not before["versions"]
    for gen in (normal, bulk):
        _write(gen)
    finish(bulk)
    assert _indexes(bulk) == everything
    finish(bulk)  # idempotent
    finish(normal)  # harmless on a normal generation
    assert _indexes(bulk) == _indexes(normal) == everything
    assert_same(snapshot(normal), snapshot(bulk))

"""Read a whole generation back, to compare projections field for field."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from services.projections.storage import kpistore, queries, versions
from services.projections.storage.store import Catalog, Generation


def snapshot(gen: Generation) -> dict[str, Any]:
    t = gen.tables
    with gen.engine.connect() as conn:
        cases = {r.complaint_id: dict(r._mapping) for r in conn.execute(select(t.cases))}
        timeline = {r.event_id: dict(r._mapping) for r in conn.execute(select(t.timeline))}
        kpis = [tuple(r) for r in kpistore.all_rows(conn, t.kpis)]
        kept = versions.all_rows(conn, t.versions)
    return {"cases": cases, "timeline": timeline, "offsets": queries.offsets(gen), "counters": queries.counters(gen),
            "kpis": kpis, "versions": kept}


def active_snapshot(url: str) -> tuple[int, dict[str, Any]]:
    catalog = Catalog(url)
    try:
        gen = catalog.ensure_active()
        return gen.id, snapshot(gen)
    finally:
        catalog.dispose()


def assert_same(live: dict[str, Any], rebuilt: dict[str, Any]) -> None:
    for table in ("cases", "timeline"):
        assert live[table].keys() == rebuilt[table].keys(), table
        for key, row in live[table].items():
            other = rebuilt[table][key]
            diff = {col: (v, other[col]) for col, v in row.items() if other[col] != v}
            assert not diff, f"{table}[{key}] differs: {diff}"
    assert live["offsets"] == rebuilt["offsets"]
    assert live["counters"] == rebuilt["counters"]
    assert live["kpis"] == rebuilt["kpis"], "KPI tallies"
    assert live["versions"] == rebuilt["versions"], "valid-time versions"

"""The projections service: case views, queues and KPIs projected from the four lifecycle topics.

Layers, top to bottom (each may import the ones below it, never above; no cycles):
- `app`: the wiring (settings -> catalog + live projector + FastAPI; performance plumbing
  from `tuning` installed here). `options` (tunables) and `tuning` import nothing of the service.
- `api/`: the support API's routes, dependencies, response views, read-your-writes waits.
- `ingest/`: records in (live consumer, replay shards), the batch's changes and their write.
- `storage/`: tables, generations, set-based writes, reads, queue SQL.
- `complaints.readmodel`: the pure fold, views, order, KPIs and filters (no I/O).

Wiring: `services.projections.app` (`create_app`, `main`); rebuild: `services.projections.ingest.replay` (`replay`).
docs/architecture.md has the map.
"""

"""Projections wiring: settings → catalog + live projector → FastAPI support API.

`complaints run projections` (and `python -m services.projections`) call `main()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from complaints.http import install_guards
from complaints.settings import Settings, get_settings
from services.projections.api.deps import Runtime, not_caught_up
from services.projections.api.positions import NotCaughtUp, document_positions
from services.projections.api.routes import router
from services.projections.ingest.consumer import LiveProjector
from services.projections.ingest.records import topics_of
from services.projections.options import ProjectionOptions
from services.projections.storage.store import Catalog
from services.projections.tuning import give_heap_back, under_batch_gc

log = logging.getLogger(__name__)

DESCRIPTION = """\
The support API: every view here is a projection of the four lifecycle topics
(`ComplaintReceived`, `Escalated`, `RecoveryOffered`, `FollowedUp`), rebuilt from them alone.

* **Read-your-writes**: every read accepts `min_position` (or `X-Min-Position`) — log positions
  `topic:partition:offset` such as the one intake returns — and waits (bounded) until they are
  projected, else answers 409.
* **Time travel**: `as_of` answers as the system stood at that moment, folded from the events.
* Personal data is never shown: cases carry the customer reference only.
"""


def create_app(settings: Settings | None = None, options: ProjectionOptions | None = None) -> FastAPI:
    settings = settings or get_settings()
    opts = options or ProjectionOptions.from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        catalog = await asyncio.to_thread(Catalog, settings.projections_database_url)
        await asyncio.to_thread(catalog.ensure_active)
        projector = LiveProjector(settings, catalog, opts, after_batch=give_heap_back) if opts.run_projector else None
        stop = asyncio.Event()
        task = (asyncio.create_task(under_batch_gc(projector.run(stop)), name="projector")
                if projector else None)
        app.state.runtime = Runtime(settings, catalog, opts, projector)
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                try:
                    await asyncio.wait_for(asyncio.shield(task), 5.0)
                except TimeoutError:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            await asyncio.to_thread(catalog.dispose)

    app = FastAPI(title="Complaints support API (projections)", version="1", description=DESCRIPTION,
                  lifespan=lifespan)
    install_guards(app, settings)
    app.add_exception_handler(NotCaughtUp, not_caught_up)
    app.include_router(router)
    document_positions(app, topics_of(settings))
    return app


def main() -> None:
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    log.info("support API on http://%s:%s (OpenAPI docs at /docs)", settings.host, settings.api_port)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.api_port, log_level="warning")

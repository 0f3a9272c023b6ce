"""Projections wiring: settings → catalog + live projector → FastAPI support API.

`complaints run projections` (and `python -m services.projections`) call `main()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from complaints.auth.http import install_auth
from complaints.http import frozen_after_startup, install_guards
from complaints.observability.http import instrument_app
from complaints.observability.logs import configure_logging, service_log_config
from complaints.observability.projector import instrument_projector
from complaints.observability.vault import instrument_vault
from complaints.personal.access_log import AccessLog
from complaints.pii import Vault
from complaints.pii.secrets import vault_secrets
from complaints.settings import Settings, get_settings
from services.projections.api import personal, whatif
from services.projections.api.deps import Runtime, not_caught_up
from services.projections.api.positions import NotCaughtUp, document_positions
from services.projections.api.routes import router
from services.projections.ingest.consumer import LiveProjector
from services.projections.ingest.leader import project_while_writer
from services.projections.ingest.records import topics_of
from services.projections.options import ProjectionOptions
from services.projections.storage import queries
from services.projections.storage.lease import WriterLease
from services.projections.storage.store import Catalog
from services.projections.tuning import give_heap_back, limit_malloc_arenas, under_batch_gc

log = logging.getLogger(__name__)

DESCRIPTION = """\
The support API: every view here is a projection of the four lifecycle topics
(`ComplaintReceived`, `Escalated`, `RecoveryOffered`, `FollowedUp`), rebuilt from them alone.

* **Read-your-writes**: every read accepts `min_position` (or `X-Min-Position`) — log positions
  `topic:partition:offset` such as the one intake returns — and waits (bounded) until they are
  projected, else answers 409.
* **Time travel**: `as_of` answers as the system stood at that moment, folded from the events.
* Personal data is never shown in views: cases carry the customer reference only (and not even that
  to a token without `customers:read`). Roles lead/admin can read a case's personal data with a stated
  reason (`POST /complaints/{id}/personal-data`); every such read is on its access log.
* Every route but `/health` needs a staff bearer token (docs/security.md).
"""


async def read_model(catalog: Catalog, opts: ProjectionOptions, poll_s: float = 0.5) -> None:
    """Make sure there is an active generation to read: a replica that may write creates the first one if
    there is none; a `reader` never writes the read model, so it waits until the writer has created it."""
    if opts.role != "reader":
        await asyncio.to_thread(catalog.ensure_active)
        return
    for tries in itertools.count():
        if await asyncio.to_thread(catalog.active) is not None:
            return
        if tries % 20 == 0:
            log.info("reader: waiting for the writer to create the read model")
        await asyncio.sleep(poll_s)


def create_app(settings: Settings | None = None, options: ProjectionOptions | None = None) -> FastAPI:
    settings = settings or get_settings()
    secrets = vault_secrets(settings)  # the personal-data read decrypts: refuse unsafe secrets at once
    opts = options or ProjectionOptions.from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        catalog = await asyncio.to_thread(Catalog, settings.projections_database_url)
        await read_model(catalog, opts)
        projector = LiveProjector(settings, catalog, opts, after_batch=give_heap_back) if opts.projects else None
        instrument_projector(projector, lambda: queries.offsets(catalog.active() or catalog.ensure_active()),
                             settings.metrics_enabled)
        stop = asyncio.Event()
        # Every replica serves reads; the one holding the writer lease also projects (storage/lease.py),
        # unless its role is `reader` (COMPLAINTS_PROJECTIONS_ROLE): then it only serves reads.
        lease = WriterLease(settings.projections_database_url) if projector else None
        task = (asyncio.create_task(under_batch_gc(project_while_writer(lease, projector, stop)), name="writer")
                if projector and lease else None)
        app.state.runtime = Runtime(settings, catalog, opts, projector, lease)
        app.state.access_log = await asyncio.to_thread(AccessLog, settings.access_log_url)
        app.state.vault = instrument_vault(await asyncio.to_thread(Vault, settings.vault_url, secrets),
                                           settings.metrics_enabled)
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
            await asyncio.to_thread(app.state.access_log.dispose)

    app = FastAPI(title="Complaints support API (projections)", version="1", description=DESCRIPTION,
                  lifespan=lifespan)
    install_guards(app, settings)
    app.add_exception_handler(NotCaughtUp, not_caught_up)
    app.include_router(router)
    app.include_router(personal.router)
    app.include_router(whatif.router)
    document_positions(app, topics_of(settings))
    # every role freezes its start-up objects out of full collections, as every other service does: unfrozen,
    # each one stalled a queue read ~250 ms under 8 clients on 2 cores (bench/analysis-read.md)
    return frozen_after_startup(instrument_app(install_auth(app, "projections", settings), "projections", settings))


def main() -> None:
    import uvicorn

    limit_malloc_arenas()  # before any thread starts (tuning.py)
    settings = get_settings()
    configure_logging("projections", settings.log_level, settings.log_format)
    log.info("support API on http://%s:%s (OpenAPI docs at /docs)", settings.host, settings.api_port)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.api_port, log_level="warning",
                log_config=service_log_config("projections", settings))

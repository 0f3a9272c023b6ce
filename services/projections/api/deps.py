"""FastAPI dependencies: the runtime, the active generation, read-your-writes and time parameters."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, TypeVar

import anyio.to_thread
from fastapi import Depends, Header, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from complaints.guards import QueryDateTime
from complaints.readmodel.casedoc import FirstResponse, policy_first_response
from complaints.readmodel.model import utc
from complaints.settings import Settings
from services.projections.api.positions import NotCaughtUp, StoredOffsets, parse_positions, wait_for_positions
from services.projections.ingest.consumer import LiveProjector
from services.projections.ingest.records import topics_of
from services.projections.options import ProjectionOptions
from services.projections.storage.lease import WriterLease
from services.projections.storage.store import Catalog, Generation
from services.projections.tuning import read_threads

T = TypeVar("T")

#: One KPI answer is computed at a time per process. Its rows (a whole-history window: every distinct
#: duration of the tallies, ~20 MB of Python objects at 30k cases) are folded in Python under the GIL,
#: so two at once finish no sooner, and hold twice the memory (RSS went over 250 MB at 100k cases
#: with 8 clients; `bench/readload.py`).
KPI_FOLDS_AT_ONCE = 1


@dataclass
class Runtime:
    settings: Settings
    catalog: Catalog
    options: ProjectionOptions
    projector: LiveProjector | None
    lease: WriterLease | None = None  # None: this process does not project (some tests)
    stored: StoredOffsets = dataclasses.field(init=False)  # what read-your-writes waiters read, shared (positions.py)
    #: KPI answers computed at once (routes.py `kpis`): each holds its window's tally rows in memory.
    kpi_folds: asyncio.Semaphore = dataclasses.field(init=False)
    #: Reads run at once, in threads (`read`): the rest wait their turn on the loop (tuning.py `read_threads`).
    read_slots: int = dataclasses.field(init=False)
    _limiter: anyio.CapacityLimiter | None = dataclasses.field(init=False, default=None)

    def __post_init__(self) -> None:
        self.stored = StoredOffsets(self.catalog)
        self.kpi_folds = asyncio.Semaphore(KPI_FOLDS_AT_ONCE)
        self.read_slots = read_threads(self.settings.projections_read_threads, self.settings.projections_database_url)

    async def read(self, work: Callable[..., T], *args: object) -> T:
        """Run the blocking read `work(*args)` in a thread, at most `read_slots` of them at once.

        Unbounded, 8 clients' reads in flight starved the live writer's thread of the GIL (its batch 8.5 ms of
        CPU, 77 ms of wall; bench/analysis-read.md, "The live lag in one process")."""
        if self._limiter is None:  # made in the serving loop, on first use
            self._limiter = anyio.CapacityLimiter(self.read_slots)
        return await anyio.to_thread.run_sync(work, *args, limiter=self._limiter)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_first_response(runtime: RuntimeDep) -> FirstResponse:
    """The configured policy's first-response SLA (folding a case `as_of` a time needs it)."""
    return policy_first_response(runtime.settings.policy_file)


FirstResponseDep = Annotated[FirstResponse, Depends(get_first_response)]


def invalid(location: str, field: str, message: str) -> RequestValidationError:
    """A 422 naming the field, in the same shape as FastAPI's own validation errors."""
    return RequestValidationError([{"loc": (location, field), "msg": message, "type": "value_error"}])


async def consistent_read(
    runtime: RuntimeDep,
    min_position: Annotated[str | None, Query(
        description="Wait until the projection has applied these log positions (`topic:partition:offset`, "
                    "comma-separated), e.g. the `position` intake returned. 409 if not within the bounded wait.",
        examples=["ComplaintReceived:3:41"])] = None,
    x_min_position: Annotated[str | None, Header(description="Same as `min_position`.")] = None,
) -> None:
    for location, field, raw in (("query", "min_position", min_position), ("header", "x-min-position", x_min_position)):
        if not raw:
            continue
        try:
            wanted = parse_positions(raw, topics_of(runtime.settings))
        except ValueError as exc:
            raise invalid(location, field, str(exc)) from None
        wake = runtime.projector.wake if runtime.projector is not None else None
        await wait_for_positions(runtime.stored, wanted, runtime.options.read_wait_s, wake)


async def active_generation(runtime: RuntimeDep, _: Annotated[None, Depends(consistent_read)]) -> Generation:
    """The generation this request reads (after any read-your-writes wait): one catalog lookup per request.

    503 while the active one is of another release's shape (after an upgrade, until the writer has
    rebuilt it from the log: `ingest/upgrade.py`)."""
    gen = await runtime.read(runtime.catalog.ensure_active)
    if gen.outdated is not None:
        raise HTTPException(503, gen.outdated, headers={"Retry-After": "5"})
    return gen


GenerationDep = Annotated[Generation, Depends(active_generation)]


def as_of_param(
    as_of: Annotated[QueryDateTime | None, Query(
        description="Answer as the system stood at this moment (ISO 8601; no zone means UTC), "
                    "folded from the events up to then.")] = None,
) -> datetime | None:
    return None if as_of is None else utc(as_of)


AsOf = Annotated[datetime | None, Depends(as_of_param)]


def window(
    received_from: Annotated[QueryDateTime | None, Query(alias="from", description="Received at or after (ISO 8601).")]
    = None,
    received_to: Annotated[QueryDateTime | None, Query(
        alias="to", description="Received before (ISO 8601); at or before `from`: an empty window.")] = None,
) -> tuple[datetime | None, datetime | None]:
    start = None if received_from is None else utc(received_from)
    end = None if received_to is None else utc(received_to)
    # `to` at or before `from` is an empty window (nothing is received in it), not an error: JSON Schema
    # cannot say "later than another parameter", and the OpenAPI must say what is accepted.
    return start, end


Window = Annotated[tuple[datetime | None, datetime | None], Depends(window)]


async def not_caught_up(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NotCaughtUp)
    return JSONResponse(
        status_code=409, headers={"Retry-After": "1"},
        content={"message": str(exc), "missing": [str(p) for p, _ in exc.missing], "waited_s": round(exc.waited, 3)},
    )

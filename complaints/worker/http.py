"""The HTTP side of a worker process: lifespan, health, counters, and manual actions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from complaints.auth.http import StaffDep, install_auth
from complaints.domain.case import CaseState
from complaints.domain.emit import Emit
from complaints.domain.errors import CaseClosed, DomainError, NoOpenOffer, UnknownCase
from complaints.domain.policy_book import UnknownPolicyVersion
from complaints.http import TOO_LARGE, health_router, install_guards
from complaints.observability.http import instrument_app
from complaints.pii import KeyErased
from complaints.worker.runtime import Worker

ERASED = ("This customer's personal data was erased: nothing they said can be stored any more. "
          "Send the answer again without the comment.")


class ActionBody(BaseModel):
    """Base of every action's request body: strict JSON types (`"satisfied": 0` is not a boolean)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class ActionResult(BaseModel):
    complaint_id: str
    events: list[str] = Field(description="Ids of the events this action published (same ids on a retry).")
    positions: list[str] = Field(description="Log positions `topic:partition:offset`, for read-your-writes.")


def get_worker(request: Request) -> Worker:
    worker: Worker = request.app.state.worker
    return worker


WorkerDep = Annotated[Worker, Depends(get_worker)]


async def perform(worker: Worker, complaint_id: str, decide: Callable[[CaseState | None], Sequence[Emit]],
                  field: str) -> ActionResult:
    """Run a manual decision; refusals become 404 / 409 / 410 with a clear reason.

    The body's shape is the schema's (422 before we get here); anything the domain refuses of a
    well-formed request (not a move up, above authority, a remedy outside the catalogue, mixed
    currencies) depends on the case and the policy in force, so it is 409, never 422.
    """
    emitted: list[str] = []

    def recording(state: CaseState | None) -> Sequence[Emit]:
        emits = decide(state)
        emitted.extend(e.event_id for e in emits)
        return emits

    try:
        positions = await worker.act(complaint_id, recording)
    except UnknownCase as exc:
        raise HTTPException(404, str(exc)) from exc
    except (CaseClosed, NoOpenOffer) as exc:
        raise HTTPException(409, str(exc)) from exc
    except UnknownPolicyVersion as exc:  # this service lacks the case's policy: never guess with another
        raise HTTPException(503, str(exc)) from exc
    except DomainError as exc:  # a well-formed request the case's state or the policy refuses: a conflict
        raise HTTPException(409, {"message": str(exc), "errors": [{"field": field, "reason": str(exc)}]}) from exc
    except KeyErased as exc:
        raise HTTPException(410, ERASED) from exc
    return ActionResult(complaint_id=complaint_id, events=emitted, positions=[str(p) for p in positions])


stats_router = APIRouter(tags=["health"])


@stats_router.get("/stats")
async def stats(worker: WorkerDep, _: StaffDep) -> dict[str, object]:
    """Counters since start: processed, duplicates skipped, unknown types skipped, dead-lettered, emitted."""
    return {"service": worker.service, "owned_partitions": sorted(worker.owned_partitions()), **worker.counters}


def create_worker_app(worker: Worker, router: APIRouter, title: str, description: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await worker.start()
        app.state.worker = worker
        app.state.health_check = worker.health
        try:
            yield
        finally:
            await worker.stop()

    app = FastAPI(title=title, description=description, version="1", lifespan=lifespan)
    install_guards(app, worker.settings)
    app.include_router(router, responses=TOO_LARGE)  # every action takes a body
    app.include_router(health_router)
    app.include_router(stats_router)
    return instrument_app(install_auth(app, worker.service, worker.settings), worker.service, worker.settings)

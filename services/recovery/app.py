"""Recovery wiring: automatic offers within authority, and agents' offers over HTTP.

Run with `complaints run recovery`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, FastAPI, Header
from pydantic import ConfigDict, Field

from complaints.auth.authority import acting_as
from complaints.auth.http import StaffDep
from complaints.domain import recovery
from complaints.domain.case import CaseState
from complaints.domain.emit import Emit
from complaints.http import frozen_after_startup
from complaints.observability.logs import service_log_config
from complaints.observability.worker import instrument_worker
from complaints.policy_shelf import PolicyShelf
from complaints.settings import Settings, get_settings
from complaints.worker import edges, tuning
from complaints.worker.decider import LifecycleDecider
from complaints.worker.http import ActionBody, ActionResult, WorkerDep, create_worker_app, perform
from complaints.worker.runtime import Worker
from schemas.events import Remedy

router = APIRouter(tags=["recovery"])


class OfferRequest(ActionBody):
    model_config = ConfigDict(extra="forbid")
    remedies: list[Remedy] = Field(min_length=1, max_length=20)
    apology: str | None = Field(default=None, max_length=2000, description="Default: the policy's apology.")


@router.post("/complaints/{complaint_id}/offers", status_code=202, response_model=ActionResult,
             responses={403: {"description": "Above the authority of the token's level (the answer names the limit "
                                             "and the level that could make it), or not the token's case"},
                        404: {"description": "Unknown complaint"},
                        409: {"description": "Case closed, or refused by the policy: a remedy outside the catalogue, "
                                             "mixed currencies"},
                        422: {"description": "Invalid body"}})
async def make_offer(
    complaint_id: str,
    body: OfferRequest,
    worker: WorkerDep,
    staff: StaffDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> ActionResult:
    """A support agent makes (or raises) an offer at the token's level, as the token's `sub`; it supersedes the
    open one."""
    request_id, now = idempotency_key or str(uuid.uuid4()), datetime.now(UTC)

    def decide(state: CaseState | None) -> Sequence[Emit]:
        policy = worker.decider.policy_for(state)  # the case's own policy version
        offer = partial(recovery.manual_offer, agent=staff.id, level=staff.level, remedies=tuple(body.remedies),
                        apology=body.apology, policy=policy, now=now, request_id=request_id)
        return acting_as(staff, offer, policy)(state)

    return await perform(worker, complaint_id, decide, field="remedies")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    book = PolicyShelf(settings.policy_file)
    decider = LifecycleDecider(book.configured, recovery.react, book=book)
    worker = edges.install(instrument_worker(Worker(
        "recovery", settings, decider, tick_interval=tuning.TICK_INTERVAL_S, batch_max=tuning.BATCH_MAX,
        batch_within=tuning.BATCH_WITHIN_S), settings.metrics_enabled))
    return frozen_after_startup(create_worker_app(
        worker, router, "Complaints recovery",
        "Recovery offers: automatic within authority, or by an agent over HTTP."))


def main() -> None:
    import uvicorn

    settings = get_settings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.recovery_port, log_level="warning",
                log_config=service_log_config("recovery", settings))

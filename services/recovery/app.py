"""Recovery wiring: automatic offers within authority, and agents' offers over HTTP.

Run with `complaints run recovery`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, FastAPI, Header
from pydantic import BaseModel, ConfigDict, Field

from complaints.domain import recovery
from complaints.policy_shelf import PolicyShelf
from complaints.settings import Settings, get_settings
from complaints.worker import edges
from complaints.worker.decider import LifecycleDecider
from complaints.worker.http import ActionResult, WorkerDep, create_worker_app, perform
from complaints.worker.runtime import Worker
from schemas.common import Level
from schemas.events import Remedy

router = APIRouter(tags=["recovery"])


class OfferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent: str = Field(min_length=1, max_length=200, description="Who makes the offer (agent id).")
    level: Level = Field(description="The agent's level; the offer must fit its authority limit.")
    remedies: list[Remedy] = Field(min_length=1, max_length=20)
    apology: str | None = Field(default=None, max_length=2000, description="Default: the policy's apology.")


@router.post("/complaints/{complaint_id}/offers", status_code=202, response_model=ActionResult,
             responses={404: {"description": "Unknown complaint"}, 409: {"description": "Case closed"},
                        422: {"description": "Above the level's authority, charges the customer, or invalid"}})
async def make_offer(
    complaint_id: str,
    body: OfferRequest,
    worker: WorkerDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> ActionResult:
    """A support agent makes (or raises) an offer; it supersedes the open one."""
    decide = partial(recovery.manual_offer, agent=body.agent, level=body.level, remedies=tuple(body.remedies),
                     apology=body.apology, now=datetime.now(UTC),
                     request_id=idempotency_key or str(uuid.uuid4()))
    return await perform(worker, complaint_id, lambda state: decide(state, policy=worker.decider.policy_for(state)),
                         field="remedies")  # under the case's own policy version


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    book = PolicyShelf(settings.policy_file)
    worker = edges.install(Worker("recovery", settings, LifecycleDecider(book.configured, recovery.react, book=book)))
    return create_worker_app(worker, router, "Complaints recovery",
                             "Recovery offers: automatic within authority, or by an agent over HTTP.")


def main() -> None:
    import uvicorn

    settings = get_settings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.recovery_port, log_level="warning")

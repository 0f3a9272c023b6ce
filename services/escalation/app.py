"""Escalation wiring: triage on arrival, SLA timers, reopen one level up, manual escalation over HTTP.

Run with `complaints run escalation`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, FastAPI, Header
from pydantic import BaseModel, ConfigDict, Field

from complaints.domain import escalation
from complaints.policy_shelf import PolicyShelf
from complaints.settings import Settings, get_settings
from complaints.worker import edges
from complaints.worker.decider import LifecycleDecider
from complaints.worker.http import ActionResult, WorkerDep, create_worker_app, perform
from complaints.worker.runtime import Worker
from schemas.common import Level

router = APIRouter(tags=["escalation"])


class EscalationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent: str = Field(min_length=1, max_length=200, description="Who escalates (agent id).")
    reason: str = Field(min_length=1, max_length=2000, description="Why, in words the next level can act on.")
    level: Level | None = Field(default=None, description="Target level; default one level up.")


@router.post("/complaints/{complaint_id}/escalate", status_code=202, response_model=ActionResult,
             responses={404: {"description": "Unknown complaint"}, 409: {"description": "Case closed"},
                        422: {"description": "Not a move up, or invalid body"}})
async def escalate(
    complaint_id: str,
    body: EscalationRequest,
    worker: WorkerDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> ActionResult:
    """A support agent escalates a case (one level up by default), with a reason."""
    decide = partial(escalation.manual, agent=body.agent, reason_text=body.reason, target_level=body.level,
                     now=datetime.now(UTC),
                     request_id=idempotency_key or str(uuid.uuid4()))
    return await perform(worker, complaint_id, lambda state: decide(state, policy=worker.decider.policy_for(state)),
                         field="level")  # under the case's own policy version


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    book = PolicyShelf(settings.policy_file)
    decider = LifecycleDecider(book.configured, escalation.react, escalation.on_tick, escalation.next_due, book)
    worker = edges.install(Worker("escalation", settings, decider))
    return create_worker_app(worker, router, "Complaints escalation",
                             "Triage, first-response SLA timers, reopen escalation and manual escalation.")


def main() -> None:
    import uvicorn

    settings = get_settings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.escalation_port, log_level="warning")

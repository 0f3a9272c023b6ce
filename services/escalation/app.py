"""Escalation wiring: triage on arrival, SLA timers, reopen one level up, manual escalation over HTTP.

Run with `complaints run escalation`.
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
from complaints.domain import escalation
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

router = APIRouter(tags=["escalation"])


class EscalationRequest(ActionBody):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000, description="Why, in words the next level can act on.")


@router.post("/complaints/{complaint_id}/escalate", status_code=202, response_model=ActionResult,
             responses={403: {"description": "Not the token's case (above its level, or another department's)"},
                        404: {"description": "Unknown complaint"},
                        409: {"description": "Case closed, or already at the top"},
                        422: {"description": "Invalid body"}})
async def escalate(
    complaint_id: str,
    body: EscalationRequest,
    worker: WorkerDep,
    staff: StaffDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> ActionResult:
    """A support agent escalates a case one level up, with a reason; `requested_by` is the token's `sub`."""
    request_id, now = idempotency_key or str(uuid.uuid4()), datetime.now(UTC)

    def decide(state: CaseState | None) -> Sequence[Emit]:
        policy = worker.decider.policy_for(state)  # the case's own policy version
        manual = partial(escalation.manual, agent=staff.id, reason_text=body.reason, target_level=None,
                         policy=policy, now=now, request_id=request_id)
        return acting_as(staff, manual, policy)(state)

    return await perform(worker, complaint_id, decide, field="reason")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    book = PolicyShelf(settings.policy_file)
    decider = LifecycleDecider(book.configured, escalation.react, escalation.on_tick, escalation.next_due, book)
    worker = edges.install(instrument_worker(Worker(
        "escalation", settings, decider, tick_interval=tuning.TICK_INTERVAL_S, batch_max=tuning.BATCH_MAX,
        batch_within=tuning.BATCH_WITHIN_S), settings.metrics_enabled))
    return frozen_after_startup(create_worker_app(
        worker, router, "Complaints escalation",
        "Triage, first-response SLA timers, reopen escalation and manual escalation."))


def main() -> None:
    import uvicorn

    settings = get_settings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.escalation_port, log_level="warning",
                log_config=service_log_config("escalation", settings))

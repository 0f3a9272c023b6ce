"""Follow-up wiring: answers over HTTP, no_response when the answer window passes.

Run with `complaints run followup`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from fastapi import APIRouter, FastAPI
from pydantic import ConfigDict, Field

from complaints.auth.authority import acting_as
from complaints.auth.http import StaffDep
from complaints.domain import followup
from complaints.domain.case import CaseState
from complaints.domain.emit import Emit
from complaints.domain.policy import Policy
from complaints.guards import JsonInt
from complaints.observability.logs import service_log_config
from complaints.observability.vault import instrument_vault
from complaints.observability.worker import instrument_worker
from complaints.pii import Vault
from complaints.policy_shelf import PolicyShelf
from complaints.settings import Settings, get_settings
from complaints.worker import edges
from complaints.worker.decider import LifecycleDecider
from complaints.worker.http import ActionBody, ActionResult, WorkerDep, create_worker_app, perform
from complaints.worker.runtime import Worker
from services.followup import casework
from services.followup.deps import VaultDep

router = APIRouter(tags=["follow-up"], responses={410: {"description": "The customer was erased: send the answer "
                                                                          "again without the comment"}})


class FollowUpAnswer(ActionBody):
    model_config = ConfigDict(extra="forbid")
    satisfied: bool = Field(description="Is the customer whole again?")
    csat: JsonInt = Field(ge=1, le=5, description="Customer satisfaction, 1 (very unhappy) to 5 (delighted).")
    comment: str | None = Field(default=None, max_length=5000, description="Customer's words; stored encrypted.")


@router.post("/complaints/{complaint_id}/follow-up", status_code=202, response_model=ActionResult,
             responses={403: {"description": "Not the token's case (above its level, or another department's)"},
                        404: {"description": "Unknown complaint"},
                        409: {"description": "No offer awaiting an answer, or case closed"}})
async def record_answer(complaint_id: str, body: FollowUpAnswer, worker: WorkerDep, vault: VaultDep,
                        staff: StaffDep) -> ActionResult:
    """Record the customer's answer (`recorded_by`: the token's `sub`): satisfied closes the case, unsatisfied
    reopens it one level up."""
    now = datetime.now(UTC)

    def decide(state: CaseState | None) -> Sequence[Emit]:
        comment = None
        if body.comment and state is not None and state.facts is not None:
            comment = vault.seal(state.facts.customer_ref, {"comment": body.comment}, aad=complaint_id)
        return followup.answer(state, satisfied=body.satisfied, csat=body.csat, comment=comment,
                               agent=staff.id, policy=worker.decider.policy_for(state), now=now)

    def guarded(state: CaseState | None) -> Sequence[Emit]:
        return acting_as(staff, decide, worker.decider.policy_for(state))(state)  # the case's own policy

    return await perform(worker, complaint_id, guarded, field="satisfied")


def _next_due(state: CaseState, policy: Policy) -> datetime | None:
    return followup.next_due(state)


router.include_router(casework.router)  # staff case work lives beside the follow-up (same worker, same state)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    book = PolicyShelf(settings.policy_file)
    decider = LifecycleDecider(book.configured, on_tick_fn=followup.on_tick, next_due_fn=_next_due, book=book)
    # No reaction to consumed events: follow-ups come from answers (HTTP) and the answer-window timer.
    worker = edges.install(instrument_worker(Worker("followup", settings, decider), settings.metrics_enabled))
    app = create_worker_app(worker, router, "Complaints follow-up",
                            "Follow-ups after each recovery offer: answers, and no_response when none comes; "
                            "staff case work (take, assign, release, reply, note, close, reopen).")

    app.state.vault = instrument_vault(Vault.from_settings(settings), settings.metrics_enabled)
    return app


def main() -> None:
    import uvicorn

    settings = get_settings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.followup_port, log_level="warning",
                log_config=service_log_config("followup", settings))

"""Staff case work over HTTP: take, assign, release, reply, note, close, reopen (decisions: domain/casework.py).

Every route is staff-only (`cases:act`, on a case within the token's level and departments) and
answers 202 with the `ActionResult` (its positions give read-your-writes), 404 for an unknown
case, 409 with the reason when the case refuses, 422 naming the field of a bad body. Replies and
notes are sealed with the customer's key before they reach the topic.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from complaints.auth.authority import acting_as
from complaints.auth.http import StaffDep
from complaints.domain import casework
from complaints.domain.case import CaseState
from complaints.domain.emit import Emit
from complaints.worker.http import ActionBody, ActionResult, WorkerDep, perform
from schemas.common import STAFF_ID_PATTERN, CloseReason
from services.followup.deps import VaultDep

router = APIRouter(tags=["case work"])
RESPONSES: dict[int | str, dict[str, str]] = {
    403: {"description": "Not the token's case (above its level, or another department's)"},
    404: {"description": "Unknown complaint"},
    409: {"description": "The case refuses it (closed, already assigned, not closed for a reopen...): says why"},
    422: {"description": "Invalid body (names the field)"}}
IdempotencyKey = Annotated[str | None, Header(max_length=200, description="Same key, same events (a retry).")]
COMPLAINT_ID = r"^[A-Za-z0-9._:-]{1,200}$"


class NoBody(ActionBody):
    """An empty body (`{}`), or none."""


class AssignBody(ActionBody):
    assignee: str = Field(pattern=STAFF_ID_PATTERN, description="Staff id (1..64 of A-Za-z0-9 . _ -; never an "
                          "e-mail address) who works the case from now on.")


class ReplyBody(ActionBody):
    message: str = Field(min_length=1, max_length=5000, pattern=r"\S",
                         description="To the customer; stored sealed with their key.")


class NoteBody(ActionBody):
    text: str = Field(min_length=1, max_length=5000, pattern=r"\S", description="Internal; stored sealed.")


def _close_schema(schema: dict[str, Any]) -> None:
    """The body's JSON Schema as the two shapes it accepts (`duplicate_of` with `duplicate` only)."""
    props = schema["properties"]
    id_schema = {k: v for k, v in props["duplicate_of"]["anyOf"][0].items()}
    reason = props["reason"]
    shapes = [
        {"type": "object", "additionalProperties": False, "required": ["reason"],
         "properties": {"reason": {**reason, "enum": ["resolved", "abuse"]}}},
        {"type": "object", "additionalProperties": False, "required": ["reason", "duplicate_of"],
         "properties": {"reason": {**reason, "enum": ["duplicate"]},
                        "duplicate_of": {**id_schema, "description": props["duplicate_of"].get("description", "")}}},
    ]
    title = schema.get("title")
    schema.clear()
    schema.update({"title": title, "oneOf": shapes})


class CloseBody(ActionBody):
    model_config = ConfigDict(json_schema_extra=_close_schema)

    reason: CloseReason
    duplicate_of: str | None = Field(default=None, pattern=COMPLAINT_ID, validate_default=True,
                                     description="The original complaint's id: required with reason duplicate only.")

    @field_validator("duplicate_of")
    @classmethod
    def _iff_duplicate(cls, value: str | None, info: ValidationInfo) -> str | None:
        duplicate = info.data.get("reason") == "duplicate"
        if duplicate and value is None:
            raise ValueError("required when reason is duplicate: the id of the complaint this one duplicates")
        if not duplicate and value is not None:
            raise ValueError("only with reason duplicate")
        return value


class ReopenBody(ActionBody):
    reason: str = Field(min_length=1, max_length=500, pattern=r"\S", description="Why the case is reopened.")


Decision = Callable[[CaseState | None, str, datetime], Sequence[Emit]]


async def _act(worker: WorkerDep, staff: StaffDep, complaint_id: str, key: str | None, decision: Decision,
               field: str) -> ActionResult:
    """Run `decision(state, request_id, now)` as the token's staff member, on a case within their authority."""
    request_id, now = key or str(uuid.uuid4()), datetime.now(UTC)

    def decide(state: CaseState | None) -> Sequence[Emit]:
        return acting_as(staff, lambda s: decision(s, request_id, now), worker.decider.policy_for(state))(state)

    return await perform(worker, complaint_id, decide, field=field)


@router.post("/complaints/{complaint_id}/take", status_code=202, response_model=ActionResult, responses=RESPONSES)
async def take(complaint_id: str, worker: WorkerDep, staff: StaffDep, body: NoBody | None = None,
               idempotency_key: IdempotencyKey = None) -> ActionResult:
    """The caller takes the case (`CaseAssigned`, assignee: the token's `sub`)."""
    return await _act(worker, staff, complaint_id, idempotency_key, lambda s, rid, now: casework.take(
        s, by=staff.id, now=now, request_id=rid), "assignee")


@router.post("/complaints/{complaint_id}/assign", status_code=202, response_model=ActionResult, responses=RESPONSES)
async def assign(complaint_id: str, body: AssignBody, worker: WorkerDep, staff: StaffDep,
                 idempotency_key: IdempotencyKey = None) -> ActionResult:
    """Give the case to a member of staff (`CaseAssigned`, assigned_by: the token's `sub`)."""
    return await _act(worker, staff, complaint_id, idempotency_key, lambda s, rid, now: casework.assign(
        s, assignee=body.assignee, by=staff.id, now=now, request_id=rid), "assignee")


@router.post("/complaints/{complaint_id}/release", status_code=202, response_model=ActionResult, responses=RESPONSES)
async def release(complaint_id: str, worker: WorkerDep, staff: StaffDep, body: NoBody | None = None,
                  idempotency_key: IdempotencyKey = None) -> ActionResult:
    """Put the case back in the queue (`CaseAssigned` with no assignee)."""
    return await _act(worker, staff, complaint_id, idempotency_key, lambda s, rid, now: casework.release(
        s, by=staff.id, now=now, request_id=rid), "assignee")


@router.post("/complaints/{complaint_id}/replies", status_code=202, response_model=ActionResult, responses=RESPONSES)
async def reply(complaint_id: str, body: ReplyBody, worker: WorkerDep, staff: StaffDep, vault: VaultDep,
                idempotency_key: IdempotencyKey = None) -> ActionResult:
    """Answer the customer without money (`CustomerReplied`): the first response for the SLA."""
    def decision(state: CaseState | None, rid: str, now: datetime) -> Sequence[Emit]:
        case = casework.require_case(state, open_only=not casework.retried(
            state, casework.work_id("CustomerReplied", complaint_id, rid)))
        assert case.facts is not None
        sealed = vault.seal(case.facts.customer_ref, {"message": body.message}, aad=complaint_id)
        return casework.reply(case, message=sealed, by=staff.id, now=now, request_id=rid)

    return await _act(worker, staff, complaint_id, idempotency_key, decision, "message")


@router.post("/complaints/{complaint_id}/notes", status_code=202, response_model=ActionResult, responses=RESPONSES)
async def add_note(complaint_id: str, body: NoteBody, worker: WorkerDep, staff: StaffDep, vault: VaultDep,
                   idempotency_key: IdempotencyKey = None) -> ActionResult:
    """An internal note (`NoteAdded`), sealed with the customer's key."""
    def decision(state: CaseState | None, rid: str, now: datetime) -> Sequence[Emit]:
        case = casework.require_case(state, open_only=False)
        assert case.facts is not None
        sealed = vault.seal(case.facts.customer_ref, {"text": body.text}, aad=complaint_id)
        return casework.note(case, text=sealed, by=staff.id, now=now, request_id=rid)

    return await _act(worker, staff, complaint_id, idempotency_key, decision, "text")


@router.post("/complaints/{complaint_id}/close", status_code=202, response_model=ActionResult, responses=RESPONSES)
async def close(complaint_id: str, body: CloseBody, worker: WorkerDep, staff: StaffDep,
                idempotency_key: IdempotencyKey = None) -> ActionResult:
    """Close without an offer (`CaseClosed`): resolved, duplicate (of `duplicate_of`) or abuse."""
    return await _act(worker, staff, complaint_id, idempotency_key, lambda s, rid, now: casework.close(
        s, reason=body.reason, duplicate_of=body.duplicate_of, by=staff.id, now=now, request_id=rid), "reason")


@router.post("/complaints/{complaint_id}/reopen", status_code=202, response_model=ActionResult, responses=RESPONSES)
async def reopen(complaint_id: str, body: ReopenBody, worker: WorkerDep, staff: StaffDep,
                 idempotency_key: IdempotencyKey = None) -> ActionResult:
    """Reopen a closed case (`CaseReopened`): a new episode, its first response due under the case's policy."""
    def decision(state: CaseState | None, rid: str, now: datetime) -> Sequence[Emit]:
        return casework.reopen(state, reason=body.reason, by=staff.id, policy=worker.decider.policy_for(state),
                               now=now, request_id=rid)

    return await _act(worker, staff, complaint_id, idempotency_key, decision, "reason")

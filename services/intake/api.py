"""Intake's HTTP contract: request models and the /complaints route."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from complaints.domain.intake import build_received, complaint_id_for, fingerprint
from complaints.domain.policy import Policy
from complaints.guards import IsoDateTime
from complaints.http import TOO_LARGE
from complaints.ratelimit import RateLimit
from schemas.common import Category, Channel, Money, Sealed, Severity
from schemas.events import ComplaintReceived
from services.intake.service import Intake, Submission

router = APIRouter(tags=["intake"])


#: The schema's own statement of "at least one of id, email, phone or handle" (as a string).
_REACHABLE: dict[str, Any] = {"anyOf": [{"required": [k], "properties": {k: {"type": "string"}}}
                        for k in ("id", "email", "phone", "handle")]}
_NOT_BLANK = re.compile(r"\S")


class Customer(BaseModel):
    """How to reach the customer: at least one of id, email, phone or handle."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra=_REACHABLE)
    id: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=40, pattern=r"^\+?[0-9 ()./-]{5,}$")
    handle: str | None = Field(default=None, min_length=1, max_length=200)
    name: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def reachable(self) -> Customer:
        if not any((self.id, self.email, self.phone, self.handle)):
            raise ValueError("give at least one way to reach the customer: id, email, phone or handle")
        return self


class ComplaintIn(BaseModel):
    """A complaint from any channel. Only channel, customer and description are required."""

    model_config = ConfigDict(extra="forbid", strict=True)
    channel: Channel
    customer: Customer
    description: str = Field(min_length=1, max_length=5000, description="What happened, in the customer's words.",
                             json_schema_extra={"pattern": _NOT_BLANK.pattern})
    category: Category | None = None
    severity: Severity | None = None
    public: bool = False
    wants_human: bool = False
    order_ref: str | None = Field(default=None, max_length=100)
    amount_at_stake: Money | None = None
    occurred_at: IsoDateTime | None = None
    language: str | None = Field(default=None, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$",
                                 description="The customer's language (BCP 47, e.g. `de`), for their emails.")

    @field_validator("description")
    @classmethod
    def not_blank(cls, value: str) -> str:
        if _NOT_BLANK.search(value) is None:
            raise ValueError("must say what happened; it cannot be blank")
        return value


class Accepted(BaseModel):
    complaint_id: str
    position: str = Field(description="Log position `topic:partition:offset`, for read-your-writes.")
    status_url: str


def get_intake(request: Request) -> Intake:
    intake: Intake = request.app.state.intake
    return intake


async def rate_limited(request: Request) -> None:
    """Before the body is validated: a flood costs a dictionary look-up per request."""
    rate_limit: RateLimit = request.app.state.rate_limit
    rate_limit.check(request)


@router.post("/complaints", status_code=202, response_model=Accepted, dependencies=[Depends(rate_limited)],
             responses={409: {"description": "Idempotency-Key reused with a different complaint body"},
                        **TOO_LARGE,
                        422: {"description": "Invalid complaint: names the field and the reason"},
                        429: {"description": "Too many complaints from this address; `Retry-After` says when to retry",
                              "headers": {"Retry-After": {"schema": {"type": "integer"}}}}})
async def post_complaint(
    body: ComplaintIn,
    request: Request,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """Accept a complaint; replies once the broker has acknowledged `ComplaintReceived`."""
    # Per-request FastAPI work kept out: no sub-dependency but the async rate limit (a plain `def` one
    # ran on the thread pool, a thread hop per request), no injected `Response`, and a ready reply of the
    # `Accepted` shape (no response-model pass; `response_model` still documents it).
    intake = get_intake(request)
    now = datetime.now(UTC)
    request_fp = fingerprint(body.model_dump(mode="json")) if idempotency_key else ""
    complaint_id = complaint_id_for(idempotency_key) if idempotency_key else intake.new_complaint_id()
    customer = body.customer
    prepared = await intake.prepare(Submission(
        complaint_id=complaint_id,
        identifiers={"id": customer.id, "email": customer.email, "phone": customer.phone, "handle": customer.handle},
        personal={**customer.model_dump(exclude_none=True), "description": body.description,
                  **({"language": body.language} if body.language else {})},
        received_at=now,
        build=partial(_build, intake.policies.in_force(now), body, complaint_id, now),
        idempotency_key=idempotency_key,
        fingerprint=request_fp,
    ))
    claim = prepared.claim
    if claim is not None and claim.fingerprint != request_fp:
        raise HTTPException(409, "this Idempotency-Key was already used with a different complaint body")
    position = claim.position if claim is not None and claim.position else None
    if position is None:
        position = await intake.publish(prepared.to_publish(), idempotency_key)
    status_url = f"{intake.public_api_url}/complaints/{prepared.complaint_id}"
    accepted = Accepted(complaint_id=prepared.complaint_id, position=position, status_url=status_url)
    return Response(accepted.model_dump_json(), status_code=202, media_type="application/json",
                    headers={"Location": status_url})


def _build(policy: Policy, body: ComplaintIn, complaint_id: str, now: datetime, customer_ref: str, personal: Sealed,
           prior_complaints: int) -> ComplaintReceived:
    return build_received(
        complaint_id=complaint_id,
        channel=body.channel,
        customer_ref=customer_ref,
        personal=personal,
        description=body.description,
        category=body.category,
        severity=body.severity,
        public=body.public,
        wants_human=body.wants_human,
        order_ref=body.order_ref,
        amount_at_stake=body.amount_at_stake,
        occurred_at=body.occurred_at,
        received_at=now,
        prior_complaints=prior_complaints,
        policy=policy,
    )

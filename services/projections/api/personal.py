"""Staff reading what the customer wrote (roles lead/admin), each read on the access log.

`POST /complaints/{id}/personal-data` with a stated reason returns the case's contact details,
description and follow-up comments, opened with the vault; `GET /complaints/{id}/access-log`
lists every such read of the case. `POST /customers/{ref}/erasure` (admin) crypto-shreds a
customer; their data then answers 410, and the reads and the erasure stay on the log.
Also: what a token without `customers:read` sees of a case (no customer reference).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from complaints.auth.http import StaffDep
from complaints.auth.matrix import granted
from complaints.auth.staff import Staff
from complaints.kafka.producer import Position
from complaints.personal.access_log import Access, AccessLog, Outcome
from complaints.personal.readback import SEALED_TYPES, PersonalData, fetch_events, open_personal
from complaints.pii import Vault
from complaints.pii.vault import KeyErased
from services.projections.api.deps import GenerationDep, RuntimeDep
from services.projections.api.views import CasePage, CaseView
from services.projections.storage import queries

router = APIRouter(tags=["personal data"])
ERASED = ("This customer's personal data was erased at their request: it can no longer be read. "
          "The case history and metrics remain; this read is on the access log.")


class ReadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=5, max_length=500, pattern=r"\S",
                        description="Why you need to read it (recorded on the access log with your id).")


class Disclosure(PersonalData):
    access_id: str = Field(description="This read's entry on the access log.")
    read_at: datetime


class AccessEntry(BaseModel):
    access_id: str
    at: datetime
    staff_id: str
    customer_ref: str | None
    reason: str
    outcome: Outcome


class AccessLogPage(BaseModel):
    complaint_id: str
    reads: list[AccessEntry]


def get_access_log(request: Request) -> AccessLog:
    log: AccessLog = request.app.state.access_log
    return log


def get_vault(request: Request) -> Vault:
    vault: Vault = request.app.state.vault
    return vault


AccessLogDep = Annotated[AccessLog, Depends(get_access_log)]
VaultDep = Annotated[Vault, Depends(get_vault)]


@router.post("/complaints/{complaint_id}/personal-data", response_model=Disclosure,
             responses={404: {"description": "No such complaint"},
                        409: {"description": "`min_position` not reached within the bounded wait; retry later."},
                        410: {"description": "The customer was erased: their personal data is gone"},
                        422: {"description": "No reason given, or an invalid one"}})
async def read_personal_data(complaint_id: str, staff: StaffDep, body: ReadRequest, gen: GenerationDep,
                             runtime: RuntimeDep, log: AccessLogDep, vault: VaultDep) -> Disclosure:
    """The customer's contact details, description, comments, the replies staff sent and the internal notes,
    decrypted; the read goes on the access log."""
    found = await runtime.read(queries.get_case, gen, complaint_id)
    if found is None:
        raise HTTPException(404, f"no complaint {complaint_id!r}")
    case, timeline = found
    positions = [Position.parse(t.position) for t in timeline
                 if t.type in SEALED_TYPES or (t.type == "FollowedUp" and t.essentials.get("has_comment"))]

    def read() -> tuple[Access, PersonalData | None]:
        events = fetch_events(runtime.settings, positions)
        try:
            data: PersonalData | None = open_personal(vault, complaint_id, events)
        except KeyErased:
            data = None
        outcome: Outcome = "erased" if data is None else "disclosed"
        entry = log.append(staff_id=staff.id, complaint_id=complaint_id, customer_ref=case.customer_ref,
                           reason=body.reason.strip(), outcome=outcome)
        return entry, data

    entry, data = await runtime.read(read)
    if data is None:
        raise HTTPException(410, {"message": ERASED, "access_id": entry.access_id})
    return Disclosure(**data.model_dump(), access_id=entry.access_id, read_at=entry.at)


@router.get("/complaints/{complaint_id}/access-log", response_model=AccessLogPage)
async def access_log(complaint_id: str, _: StaffDep, log: AccessLogDep) -> AccessLogPage:
    """Every read of this case's personal data: who, when, why, and whether it was still there."""
    reads = await run_in_threadpool(log.for_case, complaint_id)
    return AccessLogPage(complaint_id=complaint_id, reads=[AccessEntry(**{k: v for k, v in vars(r).items()
                                                                           if k != "complaint_id"}) for r in reads])


class ErasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=5, max_length=500, pattern=r"\S",
                        description="Why (e.g. the customer's request and its reference); recorded with your id.")


class ErasureDone(BaseModel):
    customer_ref: str
    erasure_id: str
    at: datetime
    erased: bool = Field(description="False when there was nothing left to erase (already erased).")


@router.post("/customers/{customer_ref}/erasure", response_model=ErasureDone,
             responses={422: {"description": "No reason given, or an invalid one"}})
async def erase_customer(customer_ref: str, staff: StaffDep, body: ErasureRequest, log: AccessLogDep,
                         vault: VaultDep) -> ErasureDone:
    """Crypto-shred a customer (admin): their key goes, so their personal data in every event is unreadable.

    Case history, metrics and the access log stay. The erasure is recorded with who asked and why.
    """
    def erase() -> ErasureDone:
        erased = vault.erase(customer_ref)
        entry = log.erased(staff_id=staff.id, customer_ref=customer_ref, reason=body.reason.strip(), erased=erased)
        return ErasureDone(customer_ref=customer_ref, erasure_id=entry.erasure_id, at=entry.at, erased=erased)

    return await run_in_threadpool(erase)


def sees_customers(staff: Staff) -> bool:
    return "customers:read" in granted(staff.roles)


def without_customer(view: CaseView) -> CaseView:
    """A case view for a token without `customers:read`: no customer reference anywhere in it."""
    timeline = [t.model_copy(update={"essentials": {k: v for k, v in t.essentials.items() if k != "customer_ref"}})
                for t in view.timeline]
    return view.model_copy(update={"customer_ref": None, "timeline": timeline})


def page_without_customer(page: CasePage) -> CasePage:
    return page.model_copy(update={"items": [i.model_copy(update={"customer_ref": None}) for i in page.items]})

"""The support API's routes: case view, queue, KPIs, health."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response
from sqlalchemy.exc import InterfaceError, OperationalError

from complaints.auth.http import StaffDep
from complaints.parking import safe_error
from complaints.readmodel.model import Status
from complaints.readmodel.queue import BadCursor, Cursor, QueueFilter, Sort
from schemas.common import Channel, Department, Level
from services.projections.api.deps import AsOf, FirstResponseDep, GenerationDep, RuntimeDep, Window
from services.projections.api.personal import page_without_customer, sees_customers, without_customer
from services.projections.api.views import (
    CasePage,
    CaseView,
    Health,
    KpiView,
    ProjectorHealth,
    case_summary,
    case_view,
    json_answer,
)
from services.projections.storage import kpistore, queries

router = APIRouter()
Responses = dict[int | str, dict[str, Any]]
CONFLICT: Responses = {
    409: {"description": "`min_position` not reached within the bounded wait; retry later."},
    503: {"description": "The read model is of another release's shape and is being rebuilt from the log "
                         "(after an upgrade); `Retry-After` says when to try again."}}
INVALID: Responses = {422: {"description": "A query parameter is invalid; the answer names it and why."}}


@router.get("/complaints/{complaint_id}", response_model=CaseView, tags=["cases"],
            responses={404: {"description": "No such complaint (at `as_of`)."}, **CONFLICT, **INVALID})
async def get_complaint(complaint_id: str, staff: StaffDep, gen: GenerationDep, first_response: FirstResponseDep,
                        runtime: RuntimeDep, as_of: AsOf = None) -> Response:
    """One case: status, level, department, SLA, offers, follow-ups, outcome and its full timeline."""
    now = datetime.now(UTC)

    def read() -> Response | None:
        if as_of is None:
            found = queries.get_case(gen, complaint_id)
        else:
            found = queries.case_at(gen, complaint_id, as_of, first_response)
        if found is None:
            return None
        view = case_view(found[0], found[1], as_of or now, as_of)
        return json_answer(view if sees_customers(staff) else without_customer(view))

    answer = await runtime.read(read)
    if answer is None:
        raise HTTPException(404, f"no complaint {complaint_id!r}" + (f" as of {as_of.isoformat()}" if as_of else ""))
    return answer


@router.get("/complaints", response_model=CasePage, tags=["cases"], responses={
    404: {"description": "`cursor` is well-formed but no page this API issued (for this `sort`)."},
    **CONFLICT, **INVALID})
async def list_complaints(
    staff: StaffDep,
    gen: GenerationDep,
    first_response: FirstResponseDep,
    runtime: RuntimeDep,
    received: Window,
    status: Annotated[list[Status] | None, Query(description="One or more statuses (repeat the parameter).")] = None,
    open: Annotated[bool | None, Query(description="true: not closed; false: closed only.")] = None,
    level: Level | None = None,
    department: Department | None = None,
    channel: Channel | None = None,
    breached: Annotated[bool | None, Query(description="First-response SLA breached (or due and unanswered).")] = None,
    customer: Annotated[str | None, Query(description="Customer reference (never contact details).")] = None,
    assignee: Annotated[str | None, Query(description="Cases this member of staff works (staff id).",
                                          pattern=r"^[A-Za-z0-9._-]{1,200}$")] = None,
    unassigned: Annotated[bool | None, Query(description="true: cases nobody works; false: cases someone does.")]
    = None,
    sort: Annotated[Sort, Query(description="urgency: pending first-response due time, soonest first "
                                            "(cases with nothing pending last); newest/oldest: received time.")]
    = "urgency",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.",
                                        pattern=r"^[A-Za-z0-9_-]*$")] = None,
    as_of: AsOf = None,
) -> Response:
    """The queue: filtered cases, most urgent first by default, with cursor pagination."""
    if customer is not None and not sees_customers(staff):
        raise HTTPException(403, {"message": "A customer's history (`customer=`) needs customers:read "
                                             "(roles agent, lead, admin)."})
    try:
        after = Cursor.decode(cursor, sort) if cursor else None
    except BadCursor as exc:  # well-formed (the pattern held) but not ours: no such page
        raise HTTPException(404, f"cursor: {exc}") from None
    f = QueueFilter(status=tuple(status or ()), open=open, level=level, department=department, channel=channel,
                    breached=breached, customer=customer, received_from=received[0], received_to=received[1],
                    assignee=assignee, unassigned=unassigned)
    now = as_of or datetime.now(UTC)

    def read() -> Response:  # the live queue reads the rows' summaries; as_of folds the page's cases
        if as_of is None:
            items, nxt = queries.list_cases(gen, f, sort, after, limit, now)
            summaries = [case_summary(c, now) for c in items]
        else:
            cases, nxt = queries.list_cases_at(gen, f, sort, after, limit, as_of, first_response)
            summaries = [case_summary(c, now) for c in cases]
        page = CasePage(items=summaries, next_cursor=nxt.encode() if nxt else None, sort=sort, as_of=as_of)
        return json_answer(page if sees_customers(staff) else page_without_customer(page))

    return await runtime.read(read)


@router.get("/kpis", response_model=KpiView, tags=["kpis"], responses={**CONFLICT, **INVALID})
async def kpis(_: StaffDep, gen: GenerationDep, runtime: RuntimeDep, received: Window,
               channel: Channel | None = None) -> Response:
    """KPIs of the cases received in the window (and channel), computed from their events."""
    now = datetime.now(UTC)

    def compute() -> Response:
        report = kpistore.kpi_report(gen, received[0], received[1], channel, now)
        return json_answer(KpiView(**report.model_dump(), received_from=received[0], received_to=received[1],
                                   channel=channel, computed_at=now))

    async with runtime.kpi_folds:  # bounded: see deps.KPI_FOLDS_AT_ONCE
        return await runtime.read(compute)


@router.get("/health", response_model=Health, tags=["health"],
            responses={503: {"description": "The live projector is stuck (`stuck` says why), or its database "
                                            "does not answer"}})
async def health(runtime: RuntimeDep, response: Response) -> Health:
    """200 while the API serves reads and the projector makes progress (`status`: ok, or degraded while it
    restarts); 503 once it has failed, or left records waiting, for longer than `COMPLAINTS_LIVENESS_BOUND_S`."""

    def read() -> Health:
        gen = runtime.catalog.ensure_active()
        stored = {f"{t}:{p}": n for (t, p), n in sorted(queries.offsets(gen).items())}
        projector = runtime.projector
        status = projector.status if projector else None
        lag: dict[str, int] = {}
        stuck = None
        role = runtime.lease.role if runtime.lease is not None else (
            "reader" if runtime.options.role == "reader" else "writer")
        if status is not None:
            lag = {part: max(hw - stored.get(part, 0), 0) for part, hw in sorted(status.highwater.items())}
            if role == "writer":  # a reader does not project: nothing of its own can be stuck
                stuck = status.stuck(runtime.settings.liveness_bound_s, any(lag.values()))
        if stuck:
            response.status_code = 503
        return Health(
            status="stuck" if stuck else "ok" if status is None or status.running or role == "reader" else "degraded",
            stuck=stuck, role=role,
            generation=gen.id, outdated=gen.outdated,
            projector=None if status is None else ProjectorHealth(
                running=status.running, generation=status.generation, partitions=status.partitions,
                batches=status.batches, last_batch_at=status.last_batch_at, last_error=status.last_error,
                write_s=round(status.write_s, 3), write_cpu_s=round(status.write_cpu_s, 3)),
            offsets=stored, lag=lag, counters=queries.counters(gen),
        )

    try:
        return await runtime.read(read)
    except (OperationalError, InterfaceError) as exc:  # the read model's database does not answer
        raise HTTPException(503, f"the read model's database does not answer: {safe_error(exc)}") from exc

"""Response models of the support API (they are its OpenAPI schema) and how cases become views."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from starlette.responses import Response

from complaints.domain.trusted import trusted
from complaints.readmodel.fold import effective_sla
from complaints.readmodel.kpis import KpiReport
from complaints.readmodel.model import Case, CaseFields, Outcome, Sla, Status, TimelineEntry
from complaints.readmodel.summary import QueueItem, item_of
from schemas.common import Channel, Department, Level


class CaseView(CaseFields):
    """A case: its state folded from every event, and the timeline of those events."""

    positions: list[str] = Field(description="Highest log position of this case per topic/partition.")
    position: str = Field(description="The same, comma-joined: pass it as `min_position` to read at least this.")
    as_of: datetime | None = Field(default=None, description="Set when this is the case as it stood then.")
    timeline: list[TimelineEntry] = Field(description="Every event of the case, in canonical order.")


class CaseSummary(BaseModel):
    complaint_id: str
    status: Status
    episode: int
    level: Level
    department: Department | None
    channel: Channel | None
    customer_ref: str | None
    category: str | None
    severity: str | None
    public: bool | None
    received_at: datetime | None
    sla: Sla
    outcome: Outcome | None
    offers: int = Field(description="Offers made (superseded ones included).")
    reopen_count: int
    updated_at: datetime | None
    position: str
    assignee: str | None = Field(default=None, description="Staff id working the case (None: in the queue).")


class CasePage(BaseModel):
    items: list[CaseSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
    sort: str
    as_of: datetime | None = None


class KpiView(KpiReport):
    received_from: datetime | None = Field(description="Cohort: cases received at or after this time.")
    received_to: datetime | None = Field(description="... and before this time.")
    channel: Channel | None
    computed_at: datetime


class ProjectorHealth(BaseModel):
    running: bool
    generation: int | None
    partitions: int
    batches: int
    last_batch_at: datetime | None
    last_error: str | None
    write_s: float = Field(0.0, description="Seconds spent writing batches since start (wall clock, in the "
                                            "writing thread).")
    write_cpu_s: float = Field(0.0, description="Of those, the writing thread's CPU seconds: the rest it waited "
                                                "(for the GIL behind reads in this process, or for the database).")


class Health(BaseModel):
    status: str = Field(description="ok; degraded while the live projector restarts; stuck (503) beyond the bound.")
    stuck: str | None = Field(default=None, description="Why the projector is stuck, when it is.")
    role: str = Field("writer", description="writer: this replica projects (holds the writer lease); "
                                            "reader: it serves reads and waits for the lease, or only serves "
                                            "reads (`COMPLAINTS_PROJECTIONS_ROLE=reader`).")
    generation: int = Field(description="The read-model generation reads are served from.")
    outdated: str | None = Field(default=None, description="Set while that generation is of another release's "
                                 "shape: reads answer 503 until the writer has rebuilt it from the log.")
    projector: ProjectorHealth | None
    offsets: dict[str, int] = Field(description="'topic:partition' -> next offset to apply.")
    lag: dict[str, int] = Field(description="'topic:partition' -> records the broker has beyond the projection.")
    counters: dict[str, int] = Field(
        description="applied, duplicates, unknown_skipped (+ unknown_type:<type>), malformed (dead-lettered).")


def _fields(case: Case, now: datetime) -> dict[str, object]:
    out: dict[str, object] = {name: getattr(case, name) for name in CaseFields.model_fields}
    out["sla"] = effective_sla(case, now)
    return out


def case_view(case: Case, timeline: list[TimelineEntry], now: datetime, as_of: datetime | None = None) -> CaseView:
    tokens = case.position_tokens()
    return CaseView(**_fields(case, now), positions=tokens, position=",".join(tokens), as_of=as_of,  # type: ignore[arg-type]
                    timeline=timeline)


def case_summary(case: Case | QueueItem, now: datetime) -> CaseSummary:
    """A queue row: the case's queue item (`readmodel.summary`, validated when decoded: the same fields), its
    SLA as of `now`."""
    item = case if isinstance(case, QueueItem) else item_of(case)
    return trusted(CaseSummary, {**item.__dict__, "sla": effective_sla(item, now)})


def json_answer(model: BaseModel) -> Response:
    """`model` as a route's JSON answer, serialised where it was built (a worker thread, not the event loop).

    The same JSON FastAPI sends for the route's `response_model` (which still documents the answer),
    without FastAPI validating and serialising the model once more on the event loop: the loop serves
    every request and the live projector, so per-request work there delays all of them."""
    return Response(model.model_dump_json(by_alias=True), media_type="application/json")

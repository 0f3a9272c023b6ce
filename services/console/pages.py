"""The pages: my queue, a case, the dashboard (GET), and the personal-data read (a POST with a reason)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from complaints.auth.matrix import granted
from complaints.domain.policy import Policy
from complaints.policy_shelf import PolicyShelf
from schemas.common import LEVELS, Department, Level
from services.console import present
from services.console.backend import Refused
from services.console.session import CsrfDep, Member, MemberDep
from services.console.web import BackendDep, PoliciesDep, render, see_other

router = APIRouter(include_in_schema=False)
View = Literal["all", "mine", "unassigned"]
State = Literal["open", "closed", "any"]
DEPARTMENTS: tuple[Department, ...] = ("product", "finance", "hr", "privacy_legal", "operations")
CaseId = Annotated[str, Path(max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]
CursorQuery = Annotated[str | None, Query(max_length=400, pattern=r"^[A-Za-z0-9_-]*$")]


@router.get("/")
async def home() -> Response:
    return see_other("/queue")


def queue_params(member: Member, view: View, level: Level | Literal["any"] | None, department: str | None,
                 breached: bool, state: State, cursor: str | None) -> list[tuple[str, str]]:
    """The projections' `GET /complaints` query for the queue's filters (default: my level, open cases)."""
    params: list[tuple[str, str]] = [("sort", "urgency"), ("limit", "50")]
    chosen = level or member.staff.level
    if chosen != "any":
        params.append(("level", chosen))
    if department and department != "any":
        params.append(("department", department))
    if view == "mine":
        params.append(("assignee", member.staff.id))
    elif view == "unassigned":
        params.append(("unassigned", "true"))
    if breached:
        params.append(("breached", "true"))
    if state != "any":
        params.append(("open", "true" if state == "open" else "false"))
    if cursor:
        params.append(("cursor", cursor))
    return params


@router.get("/queue", response_class=HTMLResponse)
async def queue(request: Request, member: MemberDep, backend: BackendDep, view: View = "all",
                level: Level | Literal["any"] | None = None,
                department: Department | Literal["any"] | None = None, breached: bool = False,
                public: bool = False, state: State = "open", cursor: CursorQuery = None) -> HTMLResponse:
    """My queue: breached and public first, each in the API's urgency order (soonest due first)."""
    if department is None and member.staff.level == "department" and len(member.staff.departments) == 1:
        department = next(iter(member.staff.departments))
    params = queue_params(member, view, level, department, breached, state, cursor)
    problem: str | None = None
    page: dict[str, Any] = {"items": [], "next_cursor": None}
    try:
        page = await backend.queue(member.token, params)
    except Refused as exc:
        problem = str(exc)
    items = [c for c in page["items"] if c.get("public") or not public]
    filters = {"view": view, "level": level or member.staff.level, "department": department or "any",
               "breached": breached, "public": public, "state": state}
    return render(request, "queue.html", member, items=present.queue_order(items), next_cursor=page["next_cursor"],
                  filters=filters, levels=LEVELS, departments=DEPARTMENTS, problem=problem)


def policy_of(shelf: PolicyShelf, case: dict[str, Any]) -> Policy:
    version = case.get("policy_version")
    if version:
        try:
            return shelf.get(version)
        except Exception:  # an unknown (older, unkept) version: propose under the configured policy
            pass
    return shelf.configured


async def case_context(member: Member, backend: BackendDep, shelf: PolicyShelf, complaint_id: str,
                       min_position: str | None = None) -> dict[str, Any]:
    case = await backend.case(member.token, complaint_id, min_position)
    reads = None
    if "access-log:read" in member_capabilities(member):
        try:
            reads = (await backend.access_log(member.token, complaint_id))["reads"]
        except Refused:
            reads = None
    proposal = present.propose(case, policy_of(shelf, case), member.staff.level)
    answered = {f.get("offer_id") for f in case.get("follow_ups") or []}
    open_offer = next((o for o in reversed(case.get("offers") or [])
                       if not o.get("superseded_by") and o.get("offer_id") not in answered), None)
    return {"case": case, "reads": reads, "proposal": proposal, "open_offer": open_offer,
            "closed": case.get("status") == "closed"}


def member_capabilities(member: Member) -> frozenset[str]:
    return frozenset(granted(member.staff.roles))


@router.get("/cases/{complaint_id}", response_class=HTMLResponse)
async def case_page(request: Request, complaint_id: CaseId, member: MemberDep, backend: BackendDep,
                    shelf: PoliciesDep,
                    min_position: Annotated[str | None, Query(max_length=2000,
                                                              pattern=r"^[A-Za-z0-9._:,-]*$")] = None) -> Response:
    """A case as the projection has it, at least as of `min_position` (the last action's positions)."""
    try:
        ctx = await case_context(member, backend, shelf, complaint_id, min_position)
    except Refused as exc:
        return render(request, "problem.html", member, code=exc.status if exc.status < 500 else 502,
                      problem=str(exc), complaint_id=complaint_id)
    hint = request.session.pop("escalate_hint", None)
    if isinstance(hint, dict) and hint.get("complaint_id") == complaint_id:
        ctx["escalate_hint"] = hint
    return render(request, "case.html", member, **ctx)


@router.post("/cases/{complaint_id}/personal-data", response_class=HTMLResponse, dependencies=[CsrfDep])
async def personal_data(request: Request, complaint_id: CaseId, member: MemberDep, backend: BackendDep,
                        shelf: PoliciesDep, reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    """Read what the customer wrote (a POST: nothing personal in a URL); the read goes on the access log."""
    partial = request.headers.get("hx-request") == "true"
    data, problem = None, None
    try:
        data = await backend.personal_data(member.token, complaint_id, reason)
    except Refused as exc:
        problem = str(exc)
    reads = None
    if "access-log:read" in member_capabilities(member):
        try:
            reads = (await backend.access_log(member.token, complaint_id))["reads"]
        except Refused:
            reads = None
    if partial:
        return render(request, "personal.html", member, personal=data, personal_problem=problem, reads=reads,
                      complaint_id=complaint_id, oob=True)
    ctx = await case_context(member, backend, shelf, complaint_id)
    return render(request, "case.html", member, **{**ctx, "personal": data, "personal_problem": problem})


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(request: Request, member: MemberDep, backend: BackendDep) -> HTMLResponse:
    """The KPIs of every case, and the recovery cost per day over the last week."""
    problem, kpis = None, {}
    windows: list[tuple[str, dict[str, Any]]] = []
    try:
        kpis = await backend.kpis(member.token)
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        for back in range(6, -1, -1):
            start = today - timedelta(days=back)
            day = await backend.kpis(member.token, {"from": start.isoformat(),
                                                     "to": (start + timedelta(days=1)).isoformat()})
            windows.append((start.strftime("%a %d %b"), day))
    except Refused as exc:
        problem = str(exc)
    cost, currency = present.cost_series(windows)
    return render(request, "dashboard.html", member, kpis=kpis, problem=problem, sla=present.sla_bars(kpis),
                  rates=present.rate_bars(kpis), first_response=present.first_response_text(kpis), cost=cost,
                  currency=currency)

"""The customer's page: GET shows the case in plain words; POSTs accept, decline or answer.

Opened with the signed link only (no account). It shows this case and nothing else, never
internal reasons, levels or authority limits, and no personal data; the actions go through
the domain's decisions (`complaints.domain.customer`) and are published as events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from complaints.domain import customer
from complaints.domain.emit import Emit
from complaints.domain.errors import DomainError
from complaints.envelope import encode
from services.customer.links import LinkExpired, LinkInvalid
from services.customer.texts import lang_of, text
from services.customer.words import page_context
from services.notifier.case import CustomerCase
from services.notifier.desk import Desk

router = APIRouter(tags=["customer page"], include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def get_desk(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


DeskDep = Annotated[Desk, Depends(get_desk)]


class Opened(NamedTuple):
    complaint_id: str
    language: str | None
    case: CustomerCase | None


Decide = Callable[[CustomerCase | None], list[Emit]]


def _page(request: Request, name: str, code: int = 200, **ctx: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, ctx, status_code=code)


def _open(request: Request, desk: Desk, token: str) -> Opened | HTMLResponse:
    try:
        complaint_id, language = desk.links.open(token)
    except LinkExpired:
        return _page(request, "link.html", 410, expired=True)
    except LinkInvalid:
        return _page(request, "link.html", 404, expired=False)
    return Opened(complaint_id, language, desk.store.case(complaint_id))


@router.get("/c/{token}", response_class=HTMLResponse)
def show(request: Request, token: str, desk: DeskDep) -> HTMLResponse:
    opened = _open(request, desk, token)
    if isinstance(opened, HTMLResponse):
        return opened
    return _page(request, "case.html", token=token, **page_context(opened.case, datetime.now(UTC), opened.language))


async def _act(request: Request, desk: Desk, token: str, decide: Decide, done: str) -> HTMLResponse:
    opened = await asyncio.to_thread(_open, request, desk, token)
    if isinstance(opened, HTMLResponse):
        return opened
    complaint_id, language, case = opened
    t, lang = text(language), lang_of(language)
    try:
        emits = await asyncio.to_thread(decide, case)  # may seal a comment through the vault
    except DomainError as exc:  # (the domain's reasons are in English)
        return _page(request, "done.html", 409, token=token, message=str(exc), ok=False, t=t, lang=lang)
    await desk.producer.publish([encode(e.event, event_id=e.event_id, source="/complaints/customer",
                                        causation_id=e.causation_id, correlation_id=complaint_id) for e in emits])
    return _page(request, "done.html", token=token, message=t[done], ok=True, t=t, lang=lang)


def _seal(desk: Desk, case: CustomerCase | None, comment: str | None) -> Any:
    text = (comment or "").strip()
    if not text or case is None or case.state is None or case.state.facts is None:
        return None
    return desk.vault.seal(case.state.facts.customer_ref, {"comment": text}, aad=case.complaint_id)


@router.post("/c/{token}/accept", response_class=HTMLResponse)
async def accept(request: Request, token: str, desk: DeskDep,
                 offer_id: Annotated[str, Form(max_length=64)]) -> HTMLResponse:
    def decide(case: CustomerCase | None) -> list[Emit]:
        return customer.accept(case.state if case else None, offer_id=offer_id,
                               answered=case.answers.get(offer_id) if case else None)

    return await _act(request, desk, token, decide, "done_accept")


@router.post("/c/{token}/decline", response_class=HTMLResponse)
async def decline(request: Request, token: str, desk: DeskDep, offer_id: Annotated[str, Form(max_length=64)],
                  comment: Annotated[str | None, Form(max_length=5000)] = None) -> HTMLResponse:
    def decide(case: CustomerCase | None) -> list[Emit]:
        return customer.decline(case.state if case else None, offer_id=offer_id,
                                answered=case.answers.get(offer_id) if case else None,
                                comment=_seal(desk, case, comment), policy=desk.policy, now=datetime.now(UTC))

    return await _act(request, desk, token, decide, "done_decline")


@router.post("/c/{token}/answer", response_class=HTMLResponse)
async def answer(request: Request, token: str, desk: DeskDep,
                 satisfied: Annotated[Literal["true", "false"] | None, Form()] = None,
                 csat: Annotated[Literal["1", "2", "3", "4", "5"] | None, Form()] = None,
                 comment: Annotated[str | None, Form(max_length=5000)] = None) -> HTMLResponse:
    if satisfied is None or csat is None:  # the form requires both; say so in a page, not a JSON error
        try:
            language = desk.links.open(token)[1]
        except (LinkExpired, LinkInvalid):
            language = None
        return _page(request, "done.html", 422, token=token, ok=False, message=text(language)["missing"],
                     t=text(language), lang=lang_of(language))
    happy, score = satisfied == "true", int(csat)

    def decide(case: CustomerCase | None) -> list[Emit]:
        return customer.answer_follow_up(case.state if case else None, satisfied=happy, csat=score,
                                         comment=_seal(desk, case, comment), policy=desk.policy,
                                         now=datetime.now(UTC))

    return await _act(request, desk, token, decide, "done_happy" if happy else "done_unhappy")

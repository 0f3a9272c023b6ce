"""The case page's actions: each a POST form (CSRF-checked) that calls the owning service, then shows
the case as the projection has it after the action (read-your-writes: its positions as `min_position`).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from services.console.backend import ACTIONS, Refused
from services.console.pages import CaseId
from services.console.session import CsrfDep, MemberDep, flash
from services.console.web import BackendDep, see_other

router = APIRouter(include_in_schema=False)
MAX_REMEDIES = 20
DONE = {"take": "You took the case.", "release": "You released the case.", "assign": "Case assigned.",
        "reply": "Reply sent to the customer.", "note": "Note added.", "close": "Case closed.",
        "reopen": "Case reopened.", "follow-up": "Follow-up answer recorded.", "offer": "Offer made.",
        "escalate": "Case escalated."}


class BadForm(ValueError):
    """A field of the form is missing or invalid (the message names it)."""


def text(form: FormData, field: str, required: bool = True) -> str | None:
    value = form.get(field)
    value = value.strip() if isinstance(value, str) else ""
    if not value and required:
        raise BadForm(f"{field}: required")
    return value or None


def remedies(form: FormData) -> list[dict[str, Any]]:
    """`remedy_type_<i>`, `remedy_amount_<i>`, `remedy_description_<i>` (+ `currency`) as the API's remedies."""
    out: list[dict[str, Any]] = []
    currency = text(form, "currency")
    for i in range(MAX_REMEDIES):
        kind = text(form, f"remedy_type_{i}", required=False)
        if kind is None:
            continue
        item: dict[str, Any] = {"type": kind, "description": text(form, f"remedy_description_{i}")}
        amount = text(form, f"remedy_amount_{i}", required=False)
        if amount is not None:
            try:
                item["amount"] = {"amount": format(Decimal(amount).quantize(Decimal("0.01")), "f"),
                                  "currency": currency}
            except InvalidOperation:
                raise BadForm(f"remedy_amount_{i}: not an amount such as 8.50") from None
        out.append(item)
    if not out:
        raise BadForm("remedies: at least one")
    return out


def body_of(action: str, form: FormData) -> dict[str, Any]:
    """The service's request body for this action, from the form's fields."""
    if action in ("take", "release"):
        return {}
    if action == "assign":
        return {"assignee": text(form, "assignee")}
    if action == "reply":
        return {"message": text(form, "message")}
    if action == "note":
        return {"text": text(form, "text")}
    if action in ("reopen", "escalate"):
        return {"reason": text(form, "reason")}
    if action == "close":
        reason = text(form, "reason")
        body: dict[str, Any] = {"reason": reason}
        if reason == "duplicate":
            body["duplicate_of"] = text(form, "duplicate_of")
        return body
    if action == "follow-up":
        satisfied = text(form, "satisfied")
        if satisfied not in ("yes", "no"):
            raise BadForm("satisfied: yes or no")
        csat = text(form, "csat")
        if csat not in {"1", "2", "3", "4", "5"}:
            raise BadForm("csat: 1 to 5")
        answer: dict[str, Any] = {"satisfied": satisfied == "yes", "csat": int(csat)}
        comment = text(form, "comment", required=False)
        if comment:
            answer["comment"] = comment
        return answer
    if action == "offer":
        offer: dict[str, Any] = {"remedies": remedies(form)}
        apology = text(form, "apology", required=False)
        if apology:
            offer["apology"] = apology
        return offer
    raise BadForm(f"action: unknown {action!r}")


@router.post("/cases/{complaint_id}/actions/{action}", dependencies=[CsrfDep])
async def act(request: Request, complaint_id: CaseId, action: str, member: MemberDep,
              backend: BackendDep) -> Response:
    """Do it, then show the case from the projection once it has applied what the action published."""
    page = f"/cases/{complaint_id}"
    if action not in ACTIONS:
        flash(request, f"Unknown action {action!r}.", "problem")
        return see_other(page)
    form = await request.form()
    nonce = text(form, "nonce", required=False)
    try:
        body = body_of(action, form)
        result = await backend.act(member.token, complaint_id, action, body,
                                   idempotency_key=nonce[:200] if nonce else None)
    except BadForm as exc:
        flash(request, f"Not done — {exc}.", "problem")
        return see_other(page)
    except Refused as exc:
        flash(request, f"Not done ({exc.status}): {exc}", "problem")
        could = exc.details.get("could_be_made_by")
        if action == "offer" and isinstance(could, str):  # above my authority: offer to escalate to who can
            request.session["escalate_hint"] = {"complaint_id": complaint_id, "level": could,
                                                "reason": f"An offer above my authority is needed: {exc}"[:2000]}
        return see_other(page)
    flash(request, DONE.get(action, "Done."))
    positions = ",".join(result.get("positions") or [])
    return see_other(f"{page}?min_position={positions}" if positions else page)

"""Emails from templates: one per message kind and language (`templates/email/<kind>.<lang>.txt`).

A template's first line is `Subject: ...`; the rest is the plain-text body. The words come
from the case's offers and the policy's SLA only: never internal reasons, levels or limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from complaints.domain.policy import Policy
from complaints.domain.wording import show
from services.notifier.case import CustomerCase
from services.notifier.plan import Kind, first_response_within, in_words

TEMPLATES = Path(__file__).parent / "templates" / "email"
DEFAULT_LANGUAGE = "en"
_env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, autoescape=False,
                   keep_trailing_newline=True)


@dataclass(frozen=True)
class Email:
    subject: str
    body: str
    language: str


def languages(kind: Kind) -> set[str]:
    return {p.name.split(".")[1] for p in TEMPLATES.glob(f"{kind}.*.txt")}


def pick_language(kind: Kind, wanted: str | None) -> str:
    """The customer's language when a template exists for it (`de-AT` finds `de`), else English."""
    if wanted:
        for candidate in (wanted, wanted.split("-")[0].lower()):
            if candidate in languages(kind):
                return candidate
    return DEFAULT_LANGUAGE


def moment(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%H:%M UTC on %d %B %Y")


def context(case: CustomerCase, kind: Kind, offer_id: str | None, policy: Policy, link: str | None,
            name: str | None) -> dict[str, Any]:
    ctx: dict[str, Any] = {"reference": case.complaint_id, "name": name, "link": link}
    if kind == "received":
        within = first_response_within(case, policy)
        ctx["within"], ctx["by"] = (in_words(within[0]), moment(within[1])) if within else ("a day", "tomorrow")
    if kind in ("offer", "follow_up") and offer_id in case.offers:
        offer = case.offers[offer_id]
        ctx["apology"] = offer.apology
        ctx["remedies"] = [{"description": r.description, "amount": show(r.amount) if r.amount else None}
                           for r in offer.remedies]
        ctx["follow_up_by"] = moment(offer.follow_up_at)
    if kind == "closed":
        ctx["satisfied"] = case.state is not None and case.state.outcome == "satisfied"
        closure = case.state.closed_by_staff if case.state is not None else None
        ctx["by_staff"] = closure is not None
        ctx["duplicate"] = closure is not None and closure.reason == "duplicate"
    return ctx


def render(kind: Kind, language: str | None, ctx: dict[str, Any]) -> Email:
    lang = pick_language(kind, language)
    text = _env.get_template(f"{kind}.{lang}.txt").render(**ctx)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject: "):
        raise ValueError(f"template {kind}.{lang}.txt must start with 'Subject: '")
    return Email(first.removeprefix("Subject: ").strip(), body.lstrip("\n"), lang)

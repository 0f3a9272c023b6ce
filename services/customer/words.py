"""The case in the customer's words: what the page shows (pure; no reasons, levels or limits)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from complaints.domain import customer
from complaints.domain.wording import show, words
from services.customer.texts import CATEGORIES_DE, lang_of, text
from services.notifier.case import CustomerCase

STATUSES = ("received", "escalated", "recovery_offered", "reopened")


def page_context(case: CustomerCase | None, now: datetime, language: str | None = None) -> dict[str, Any]:
    t = text(language)
    base: dict[str, Any] = {"t": t, "lang": lang_of(language)}
    state = case.state if case else None
    if case is None or state is None or state.facts is None:
        return {**base, "status": t["st_getting_ready"], "ready": False}
    category = state.facts.category
    ctx: dict[str, Any] = {
        **base,
        "ready": True,
        "reference": case.complaint_id,
        "about": CATEGORIES_DE[category] if base["lang"] == "de" else words(category),
        "received": state.facts.received_at.astimezone(UTC).strftime(t["day"]),
        "closed": state.closed,
        "offer": None,
        "answered": None,
        "follow_up": None,
    }
    if state.closed:
        ctx["status"] = t["st_closed_satisfied"] if state.outcome == "satisfied" else t["st_closed"]
        return ctx
    ctx["status"] = t[f"st_{state.status}" if state.status in STATUSES else "st_received"]
    open_offer = state.offer_awaiting_answer
    words_of = case.offers.get(open_offer.offer_id) if open_offer else None
    if open_offer is not None and words_of is not None:
        ctx["offer"] = {
            "offer_id": open_offer.offer_id,
            "apology": words_of.apology,
            "remedies": [{"description": r.description, "worth": show(r.amount) if r.amount else None}
                         for r in words_of.remedies],
            "check_back": words_of.follow_up_at.astimezone(UTC).strftime(t["moment"]),
        }
        ctx["answered"] = case.answers.get(open_offer.offer_id)
        if ctx["answered"] == "accepted":
            ctx["status"] = t["st_accepted"]
        due = customer.follow_up_due(state, now)
        ctx["follow_up"] = due is not None and ctx["answered"] != "declined"
    return ctx

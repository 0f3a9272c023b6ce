"""The case in the customer's words: what the page shows (pure; no reasons, levels or limits)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from complaints.domain import customer
from complaints.domain.wording import show, words
from services.notifier.case import CustomerCase

STATUS = {
    "received": "We have your complaint, and a person is looking at it.",
    "escalated": "A senior colleague is looking at your complaint.",
    "recovery_offered": "We have made you an offer to put things right.",
    "reopened": "You told us it was not enough: a senior colleague is preparing a better offer.",
}


def page_context(case: CustomerCase | None, now: datetime) -> dict[str, Any]:
    state = case.state if case else None
    if case is None or state is None or state.facts is None:
        return {"status": "We have your complaint and are getting it ready. Please look again in a minute.",
                "ready": False}
    ctx: dict[str, Any] = {
        "ready": True,
        "reference": case.complaint_id,
        "about": words(state.facts.category),
        "received": state.facts.received_at.astimezone(UTC).strftime("%d %B %Y"),
        "closed": state.closed,
        "offer": None,
        "answered": None,
        "follow_up": None,
    }
    if state.closed:
        ctx["status"] = ("Closed: we are glad we could put it right." if state.outcome == "satisfied"
                         else "Closed: we did not hear back from you. Tell us again if something is still wrong.")
        return ctx
    ctx["status"] = STATUS.get(state.status, STATUS["received"])
    open_offer = state.offer_awaiting_answer
    words_of = case.offers.get(open_offer.offer_id) if open_offer else None
    if open_offer is not None and words_of is not None:
        ctx["offer"] = {
            "offer_id": open_offer.offer_id,
            "apology": words_of.apology,
            "remedies": [{"description": r.description, "worth": show(r.amount) if r.amount else None}
                         for r in words_of.remedies],
            "check_back": words_of.follow_up_at.astimezone(UTC).strftime("%H:%M UTC on %d %B %Y"),
        }
        ctx["answered"] = case.answers.get(open_offer.offer_id)
        if ctx["answered"] == "accepted":
            ctx["status"] = "You accepted our offer. We will check back with you."
        due = customer.follow_up_due(state, now)
        ctx["follow_up"] = due is not None and ctx["answered"] != "declined"
    return ctx

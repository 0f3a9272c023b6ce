"""The case page's forms become exactly the services' request bodies; a bad field is named."""

from __future__ import annotations

import pytest
from starlette.datastructures import FormData

from complaints.auth.staff import Staff
from services.console.actions import BadForm, body_of
from services.console.pages import queue_params
from services.console.session import Member


def form(**fields: str) -> FormData:
    return FormData(list(fields.items()))


def test_bodies_of_the_case_work_actions() -> None:
    assert body_of("take", form()) == {}
    assert body_of("reply", form(message="  Sorry!  ")) == {"message": "Sorry!"}
    assert body_of("note", form(text="called back")) == {"text": "called back"}
    assert body_of("close", form(reason="abuse", duplicate_of="x")) == {"reason": "abuse"}
    assert body_of("close", form(reason="duplicate", duplicate_of="c-9")) == {"reason": "duplicate",
                                                                                "duplicate_of": "c-9"}
    assert body_of("escalate", form(reason="needs finance")) == {"reason": "needs finance"}


def test_follow_up_answer() -> None:
    assert body_of("follow-up", form(satisfied="yes", csat="5")) == {"satisfied": True, "csat": 5}
    assert body_of("follow-up", form(satisfied="no", csat="2", comment="still broken")) == {
        "satisfied": False, "csat": 2, "comment": "still broken"}
    with pytest.raises(BadForm, match="csat"):
        body_of("follow-up", form(satisfied="yes", csat="9"))


def test_offer_remedies_in_the_case_currency() -> None:
    body = body_of("offer", form(currency="USD", remedy_type_0="apology", remedy_description_0="Sorry",
                                 remedy_type_1="replacement", remedy_description_1="A fresh one",
                                 remedy_amount_1="8.5"))
    assert body == {"remedies": [{"type": "apology", "description": "Sorry"},
                                 {"type": "replacement", "description": "A fresh one",
                                  "amount": {"amount": "8.50", "currency": "USD"}}]}
    with pytest.raises(BadForm, match="remedy_amount_0"):
        body_of("offer", form(currency="USD", remedy_type_0="refund", remedy_description_0="x",
                              remedy_amount_0="lots"))
    with pytest.raises(BadForm, match="message: required"):
        body_of("reply", form(message="   "))


def test_queue_defaults_to_my_level_and_open_cases() -> None:
    me = Member(Staff(id="sol", level="supervisor", roles=frozenset({"agent"})), "t", "c")
    assert queue_params(me, "all", None, None, False, "open", None) == [
        ("sort", "urgency"), ("limit", "50"), ("level", "supervisor"), ("open", "true")]
    mine = queue_params(me, "mine", "any", "finance", True, "any", "abc")
    assert ("assignee", "sol") in mine and ("level", "supervisor") not in mine
    assert ("department", "finance") in mine and ("breached", "true") in mine and ("cursor", "abc") in mine
    assert ("unassigned", "true") in queue_params(me, "unassigned", None, None, False, "open", None)

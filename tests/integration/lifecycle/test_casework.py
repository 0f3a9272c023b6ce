"""Staff case work on the real stack: take, reply (the first response), close as abuse, notes, reopen.

Intake and the three workers run as processes on a real broker with the fast test policy; the
support API runs in this process for the case view and the personal-data read.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from complaints.envelope import Envelope, encode
from complaints.kafka.producer import EventProducer
from complaints.settings import Settings
from schemas.events import TOPICS, CaseClosed, CaseReopened, Escalated, Event
from schemas.registry import UnknownEventType
from services.projections.app import create_app
from services.projections.options import ProjectionOptions
from tests.integration.lifecycle.story import Case
from tests.kafka_helpers import read_topic, read_topics
from tests.stack import Stack
from tests.tokens import bearer

WANTS_A_PERSON = dict(channel="email", wants_human=True, description="I want to talk to a person about my order")


def events_of(case: Case) -> list[Envelope]:
    """The case's events on the four topics (types this code does not know skipped, as every consumer does)."""
    seen: dict[str, Envelope] = {}
    for record in read_topics(case.stack.settings, TOPICS, idle=0.2):
        if record.key == case.complaint_id.encode():
            try:
                env = record.envelope()
            except UnknownEventType:
                continue
            seen.setdefault(env.id, env)
    return sorted(seen.values(), key=lambda e: e.time)


def names(case: Case) -> list[str]:
    return [type(e.event).__name__ for e in events_of(case)]


def act(case: Case, action: str, body: dict[str, Any] | None = None, who: str = "sup-1", level: str = "supervisor",
        key: str | None = None, expect: int = 202) -> httpx.Response:
    """POST a case-work action; waits (up to 15 s) for the follow-up worker to know the case."""
    url = f"{case.stack['followup'].url}/complaints/{case.complaint_id}/{action}"
    headers = {**bearer(case.stack.settings, who, level=level), **({"Idempotency-Key": key} if key else {})}
    deadline = time.monotonic() + 15
    while True:
        reply = httpx.post(url, json=body if body is not None else {}, headers=headers, timeout=10)
        if reply.status_code != 404 or expect == 404 or time.monotonic() > deadline:
            assert reply.status_code == expect, reply.text
            return reply
        time.sleep(0.2)


def wait_names(case: Case, *expected: str, timeout: float = 20.0) -> list[Envelope]:
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline:
        seen = names(case)
        if sorted(seen) == sorted(expected):
            return events_of(case)
        time.sleep(0.2)
    raise AssertionError(f"expected {sorted(expected)}, got {sorted(seen)}")


def sla_due(events: list[Envelope]) -> datetime:
    return next(e.event.sla_due_at for e in events if isinstance(e.event, Escalated))


def sleep_past(moment: datetime, margin: float = 3.0) -> None:
    time.sleep(max((moment - datetime.now(UTC)).total_seconds(), 0) + margin)


def test_a_reply_is_the_first_response_so_an_unoffered_case_never_breaches(stack: Stack) -> None:
    case = Case.post(stack, **WANTS_A_PERSON, customer={"email": "reply@example.com"})
    act(case, "replies", {"message": "Hello, I am Sam: I will call you today about your order."})
    taken = act(case, "take", key="take-1")
    assert act(case, "take", key="take-1").json()["events"] == taken.json()["events"], "a retry: same event"
    refused = act(case, "take", who="sup-2", expect=409)
    assert "assigned to sup-1" in refused.json()["detail"]["message"]
    events = wait_names(case, "ComplaintReceived", "Escalated", "CustomerReplied", "CaseAssigned")
    sleep_past(sla_due(events))
    assert sorted(names(case)) == sorted(["ComplaintReceived", "Escalated", "CustomerReplied", "CaseAssigned"]), \
        "no sla_breached escalation and no automatic offer after the reply"


def test_a_spam_complaint_closed_as_abuse_gets_no_offer_and_no_escalation_ever(stack: Stack) -> None:
    case = Case.post(stack, **{**WANTS_A_PERSON, "description": "BUY CHEAP WATCHES at spam.example"},
                     customer={"email": "spam@example.com"})
    first = act(case, "close", {"reason": "abuse"}, key="close-1")
    again = act(case, "close", {"reason": "abuse"}, key="close-1")
    assert first.json()["events"] == again.json()["events"] and first.json()["positions"]
    assert "closed" in act(case, "replies", {"message": "hi"}, expect=409).json()["detail"]["message"]
    assert act(case, "close", {"reason": "resolved"}, expect=409).status_code == 409
    time.sleep(1.0)
    triage = [e for e in events_of(case) if isinstance(e.event, Escalated)]
    # Past the triage's SLA (a tick is 1 s), or, closed before any triage, past the email SLA (8 s) from now.
    sleep_past(sla_due(triage), margin=3.0) if triage else sleep_past(datetime.now(UTC), margin=9.0)
    seen = names(case)
    assert seen.count("CaseClosed") == 1 and "RecoveryOffered" not in seen
    assert [e.event.reason for e in events_of(case) if isinstance(e.event, Escalated)] in ([], ["customer_request"],
                                                                                          ["triage"])
    [closed] = [e.event for e in events_of(case) if isinstance(e.event, CaseClosed)]
    assert closed.reason == "abuse" and closed.closed_by == "sup-1" and closed.withdrawn_offer is None


def test_bad_requests_are_refused_clearly_and_publish_nothing(stack: Stack) -> None:
    case = Case.post(stack, **WANTS_A_PERSON, customer={"email": "bad@example.com"})
    act(case, "notes", {"text": "Called twice already"})
    bad = act(case, "close", {"reason": "duplicate"}, expect=422)
    assert bad.json()["errors"][0]["field"] == "duplicate_of"
    assert act(case, "assign", {"assignee": "sam@example.com"}, expect=422).json()["errors"][0]["field"] == "assignee"
    assert act(case, "replies", {"message": ""}, expect=422).json()["errors"][0]["field"] == "message"
    assert act(case, "reopen", {"reason": "x", "extra": 1}, expect=422).status_code == 422
    assert act(case, "reopen", {"reason": "It is open"}, expect=409).status_code == 409
    below = act(case, "take", who="fl-1", level="front_line", expect=403)
    assert "supervisor" in below.text
    missing = httpx.post(f"{stack['followup'].url}/complaints/no-such-case/take", json={},
                         headers=bearer(stack.settings, "sup-1", level="supervisor"), timeout=10)
    assert missing.status_code == 404
    assert httpx.post(f"{stack['followup'].url}/complaints/{case.complaint_id}/take", json={},
                      timeout=10).status_code == 401
    time.sleep(1.0)
    work = [n for n in names(case) if n not in ("ComplaintReceived", "Escalated", "RecoveryOffered")]
    assert work == ["NoteAdded"], "only the note: every refused request published nothing"


def test_notes_and_replies_are_sealed_on_the_topic_readable_only_through_the_personal_data_read(
        stack: Stack, tmp_path: Any) -> None:
    case = Case.post(stack, channel="in_person", customer={"email": "notes@example.com"},
                     description="I got the wrong sandwich", amount_at_stake={"amount": "8.50", "currency": "USD"})
    case.wait_for("ComplaintReceived", "RecoveryOffered")
    assert case.follow_up(satisfied=True, csat=5).status_code == 202
    case.wait_for("ComplaintReceived", "RecoveryOffered", "FollowedUp")
    act(case, "notes", {"text": "Customer is Ana Lopez, phone +1 555 0100"})
    reopened = act(case, "reopen", {"reason": "The customer called back: the cake was missing"})
    act(case, "replies", {"message": "Dear Ana, the cake is on its way."})
    events = wait_names(case, "ComplaintReceived", "RecoveryOffered", "FollowedUp", "NoteAdded", "CaseReopened",
                        "CustomerReplied")
    [reopen] = [e for e in events if isinstance(e.event, CaseReopened)]
    assert isinstance(reopen.event, CaseReopened) and reopen.event.episode == 2
    assert reopen.id == reopened.json()["events"][0]
    raw = b"".join(r.value or b"" for r in read_topic(stack.settings, "Escalated", idle=0.3)
                   if r.key == case.complaint_id.encode())
    assert b"ciphertext" in raw and b"Ana" not in raw and b"555" not in raw and b"cake is on" not in raw
    asyncio.run(_read_back(stack.settings.model_copy(update={
        "projections_database_url": f"sqlite:///{tmp_path}/proj.db",
        "access_log_url": f"sqlite:///{tmp_path}/access.db"}), case.complaint_id,
        ",".join(reopened.json()["positions"])))


async def _read_back(settings: Settings, complaint_id: str, position: str) -> None:
    app = create_app(settings, ProjectionOptions(read_wait_s=15.0, poll_timeout_ms=100, generation_check_s=0.2))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://projections", timeout=30) as client:
            for _ in range(50):
                view = await client.get(f"/complaints/{complaint_id}", params={"min_position": position},
                                        headers=bearer(settings, "agent-1"))
                assert view.status_code == 200, view.text
                if "CustomerReplied" in [t["type"] for t in view.json()["timeline"]]:
                    break
                await asyncio.sleep(0.2)
            case = view.json()
            assert case["episode"] == 2 and case["closure"] is None and case["status"] != "closed"
            assert "Ana" not in view.text and "cake is on" not in view.text
            types = [t["type"] for t in case["timeline"]]
            assert {"NoteAdded", "CaseReopened", "CustomerReplied"} <= set(types)
            agent = await client.post(f"/complaints/{complaint_id}/personal-data", json={"reason": "Call back"},
                                      headers=bearer(settings, "agent-1"))
            assert agent.status_code == 403
            read = await client.post(f"/complaints/{complaint_id}/personal-data", json={"reason": "Calling back"},
                                     headers=bearer(settings, "lee", roles=["lead"]))
            assert read.status_code == 200, read.text
            assert [n["text"] for n in read.json()["notes"]] == ["Customer is Ana Lopez, phone +1 555 0100"]
            assert [(r["message"], r["episode"]) for r in read.json()["replies"]] == [
                ("Dear Ana, the cake is on its way.", 2)]


def test_a_type_no_consumer_knows_is_skipped_and_the_case_goes_on(stack: Stack) -> None:
    case = Case.post(stack, **WANTS_A_PERSON, customer={"email": "unknown@example.com"})
    act(case, "notes", {"text": "first"})
    before = {name: stack[name].stats()["skipped_unknown"] for name in ("escalation", "recovery", "followup")}
    asyncio.run(_publish_unknown(stack.settings, case.complaint_id))
    time.sleep(2.0)
    act(case, "take")
    wait_names(case, "ComplaintReceived", "Escalated", "NoteAdded", "CaseAssigned")
    after = {name: stack[name].stats()["skipped_unknown"] for name in before}
    assert all(after[name] > before[name] for name in before), (before, after)


class _Future(Event):
    """A case-work type from a newer producer (a v9 nobody here reads)."""

    topic = "Escalated"
    name = "CaseFrobbed"
    version = 9


async def _publish_unknown(settings: Settings, complaint_id: str) -> None:
    producer = EventProducer(settings)
    await producer.start()
    try:
        await producer.publish([encode(_Future(complaint_id=complaint_id), event_id=f"frob-{complaint_id}",
                                       source="/test")])
    finally:
        await producer.stop()

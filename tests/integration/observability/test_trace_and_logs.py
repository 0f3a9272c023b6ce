"""One trace from `POST /complaints` through every worker to the projection; logs without personal data.

The five services run as real processes on the broker, exporting spans over OTLP to a receiver
in this process (otlp.py). The wrong-sandwich case is driven as in the seed stories; its trace
is then assembled from the received spans, hop by hop, through the `ce_traceparent` headers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from complaints.envelope import Record, encode
from complaints.settings import Settings
from complaints.topics import dlq
from schemas.events import TOPICS
from tests.integration.lifecycle.story import Case
from tests.integration.observability.otlp import ReceivedSpan, Receiver
from tests.integration.observability.test_worker_metrics import complaint as received_for
from tests.integration.observability.test_worker_metrics import send
from tests.kafka_helpers import read_topic, read_topics
from tests.stack import Stack

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
SANDWICH = {"channel": "in_person", "customer": {"email": "sandwich.lover@example.com", "name": "Ada Sandwich",
                                                 "phone": "+44 20 7946 0958"},
            "description": "I got the wrong sandwich, a tuna one, and I am allergic to tuna",
            "amount_at_stake": {"amount": "8.50", "currency": "USD"}}
#: The other seed stories' complaints (tests/integration/lifecycle/test_seed_stories.py), with contact details.
SEEDS = [
    {"channel": "social", "public": True, "customer": {"handle": "@upset_ada_77"},
     "description": "Third tweet today and still no answer from you"},
    {"channel": "phone", "customer": {"phone": "+1 555 0100", "name": "Bob Taxpayer"}, "category": "billing",
     "severity": "high", "description": "My tax statement shows a charge I cannot explain",
     "amount_at_stake": {"amount": "1200.00", "currency": "USD"}},
    {"channel": "email", "customer": {"email": "private.person@example.com"},
     "description": "You shared my personal data with advertisers"},
    {"channel": "chat", "wants_human": True, "customer": {"id": "c-77"},
     "description": "I want to talk to a real person about my order"},
    {"channel": "web", "customer": {"email": "unhappy.kettle@example.com"},
     "description": "The kettle stopped working after a day",
     "amount_at_stake": {"amount": "20.00", "currency": "USD"}},
]
PERSONAL = ["sandwich.lover@example.com", "Ada Sandwich", "+44 20 7946 0958", "7946", "allergic to tuna",
            "@upset_ada_77", "555 0100", "Bob Taxpayer", "private.person@example.com", "unhappy.kettle@example.com",
            "Third tweet today", "tax statement", "shared my personal data", "kettle stopped"]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture(scope="module")
def stack(module_settings: Settings, receiver: Receiver, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("COMPLAINTS_OTLP_ENDPOINT", receiver.endpoint)
        env.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")  # ms between exports (default 5 s)
        running = Stack(module_settings, tmp_path_factory.mktemp("logs"))
        try:
            yield running.start("intake", "escalation", "recovery", "followup", "projections")
        finally:
            running.stop()


def post_traced(stack: Stack) -> Case:
    reply = httpx.post(f"{stack['intake'].url}/complaints", json=SANDWICH, timeout=10,
                       headers={"traceparent": f"00-{TRACE_ID}-{CALLER_SPAN}-01"})
    assert reply.status_code == 202, reply.text
    return Case(stack, reply.json()["complaint_id"])


def wait_for_span(receiver: Receiver, service: str, name: str, timeout: float = 20.0) -> ReceivedSpan:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [s for s in receiver.trace(TRACE_ID) if s.service == f"complaints-{service}" and s.name == name]
        if found:
            return found[0]
        time.sleep(0.2)
    seen = sorted({(s.service, s.name) for s in receiver.trace(TRACE_ID)})
    raise AssertionError(f"no span {name!r} from {service} in the trace; it has {seen}")


def path_to_root(spans: list[ReceivedSpan], leaf: ReceivedSpan) -> list[tuple[str, str]]:
    by_id = {s.span_id: s for s in spans}
    hops: list[tuple[str, str]] = []
    span: ReceivedSpan | None = leaf
    while span is not None:
        hops.append((span.service.removeprefix("complaints-"), span.name))
        span = by_id.get(span.parent_id)
    return hops


def test_one_trace_runs_from_intake_through_every_worker_to_the_projection(stack: Stack, receiver: Receiver) -> None:
    case = post_traced(stack)
    received, offered = case.wait_for("ComplaintReceived", "RecoveryOffered")
    assert received.traceparent and received.traceparent.split("-")[1] == TRACE_ID  # on the log, as ce_traceparent
    assert offered.traceparent and offered.traceparent.split("-")[1] == TRACE_ID
    assert case.follow_up(satisfied=True, csat=5, comment="Lovely, thank you").status_code == 202
    case.wait_for("ComplaintReceived", "RecoveryOffered", "FollowedUp")

    last = wait_for_span(receiver, "projections", "project FollowedUp")
    for service in ("escalation", "recovery", "followup"):
        wait_for_span(receiver, service, "consume ComplaintReceived")
    wait_for_span(receiver, "projections", "project ComplaintReceived")
    wait_for_span(receiver, "projections", "project RecoveryOffered")
    time.sleep(0.5)  # spans still in an exporter's buffer (100 ms batches)
    spans = receiver.trace(TRACE_ID)

    # Every hop, from the projection of the follow-up back to the request that opened the case.
    assert path_to_root(spans, last) == [
        ("projections", "project FollowedUp"),
        ("followup", "consume RecoveryOffered"),
        ("recovery", "consume ComplaintReceived"),
        ("intake", "POST /complaints"),
    ]
    [request] = [s for s in spans if s.name == "POST /complaints"]
    assert request.kind == "SERVER" and request.parent_id == CALLER_SPAN  # continues the caller's trace
    consumers = [s for s in spans if s.name.startswith(("consume ", "project "))]
    assert {s.kind for s in consumers} == {"CONSUMER"}
    assert {s.service for s in spans} == {f"complaints-{n}" for n in
                                          ("intake", "escalation", "recovery", "followup", "projections")}
    assert all(s.parent_id == CALLER_SPAN or s.parent_id in {p.span_id for p in spans} for s in spans)


def test_logs_are_json_lines_and_no_log_line_or_topic_holds_the_personal_data_the_seed_stories_sent(
        stack: Stack, module_settings: Settings) -> None:
    case = post_traced(stack)
    case.wait_for("ComplaintReceived", "RecoveryOffered")
    seeds = []
    for seed in SEEDS:
        reply = httpx.post(f"{stack['intake'].url}/complaints", json=seed, timeout=10)
        assert reply.status_code == 202, reply.text
        seeds.append(Case(stack, reply.json()["complaint_id"]))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not all(len(c.types()) >= 2 for c in seeds):  # received and decided
        time.sleep(0.3)
    bad = httpx.post(f"{stack['intake'].url}/complaints", json={**SANDWICH, "channel": "pigeon"}, timeout=10)
    assert bad.status_code == 422
    poison = encode(received_for(901), event_id="poison-event-1", source="/test")
    send(module_settings, [Record(poison.topic, poison.key, b"{not json", poison.headers, poison.event_id)])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not read_topic(module_settings, dlq("ComplaintReceived"), idle=0.2):
        time.sleep(0.3)
    time.sleep(1.0)  # let the services write what they log about it

    lines = [(log.name, line) for log in Path(stack["intake"].log).parent.glob("*.log")
             for line in log.read_text().splitlines() if line.strip()]
    assert lines, "the services logged nothing at all"
    for name, line in lines:
        record = json.loads(line)  # one JSON object per line, from every service
        assert {"time", "level", "logger", "message", "service"} <= set(record), (name, line)
        assert not [p for p in PERSONAL if p in line], f"{name}: personal data in {line}"
    about_poison = [json.loads(line) for _, line in lines if "poison-event-1" in line]
    assert about_poison, "no service logged the record it dead-lettered"
    assert all(r["complaint_id"] == "m-901" and r["event_id"] == "poison-event-1" for r in about_poison)
    for rec in read_topics(module_settings, [*TOPICS, *(dlq(t) for t in TOPICS)], idle=0.3):
        raw = (rec.value or b"") + b"".join(v or b"" for v in rec.headers.values())
        assert not [p for p in PERSONAL if p.encode() in raw], f"personal data on {rec.topic}"

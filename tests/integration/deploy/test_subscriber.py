"""The subscriber example (examples/subscriber/escalation_pager.py) against the real broker:
it decodes CloudEvents headers, validates with the published JSON Schema only, pages once
per escalation, rejects or skips what it must, and commits its offsets."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections import defaultdict

from kafka import KafkaConsumer, TopicPartition

from complaints.envelope import encode
from complaints.settings import Settings
from tests.conftest import Broker
from tests.integration.deploy.conftest import Producer
from tests.unit.deploy.samples import escalated
from tests.unit.deploy.tools import ROOT, clean_env

PAGER = ROOT / "examples" / "subscriber" / "escalation_pager.py"
LINE = re.compile(
    r"PAGE complaint=(?P<complaint>\S+) level=(?P<from_level>\w+)->(?P<level>\w+) department=(?P<department>\S+)"
    r" reason=(?P<reason>\w+) sla_due_at=(?P<sla>\S+) episode=(?P<episode>\d+) ce_id=(?P<ce_id>\S+)"
    r" ce_time=(?P<ce_time>\S+) partition=(?P<partition>\d+) offset=(?P<offset>\d+)"
)


def run_pager(broker: Broker, group: str) -> subprocess.CompletedProcess[str]:
    """One run of the example: joins `group`, handles what is there, exits after 2 s idle."""
    session_ms = "3000" if broker.profile == "tansu" else "10000"  # Tansu: joins wait ~session/2
    return subprocess.run(
        [sys.executable, str(PAGER), "--bootstrap", broker.bootstrap, "--group", group, "--idle-exit", "2",
         "--session-timeout-ms", session_ms, "--fetch-max-wait-ms", "50"],
        capture_output=True,
        text=True,
        timeout=90,
        env=clean_env(),
        cwd=ROOT,
    )  # fmt: skip


def pages(out: subprocess.CompletedProcess[str], run: str) -> dict[str, re.Match[str]]:
    found: dict[str, re.Match[str]] = {}
    for line in out.stdout.splitlines():
        m = LINE.fullmatch(line)
        assert m, f"unexpected output line: {line!r}"
        if run in m["complaint"]:
            assert m["complaint"] not in found, f"paged twice: {line}"
            found[m["complaint"]] = m
    return found


def committed(settings: Settings, group: str) -> dict[int, int]:
    """The group's committed offsets on Escalated (OffsetFetch; this consumer does not join)."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, group_id=group, enable_auto_commit=False
    )
    try:
        partitions = consumer.partitions_for_topic("Escalated") or set()
        offsets = {p: consumer.committed(TopicPartition("Escalated", p)) for p in partitions}
    finally:
        consumer.close(autocommit=False)
    return {p: o for p, o in offsets.items() if o is not None}


def test_pager_pages_each_escalation_once_and_commits(broker: Broker, settings: Settings, producer: Producer) -> None:
    run = uuid.uuid4().hex[:8]
    group = f"pager-{run}"
    events = [
        escalated(f"c-{run}-0", level="supervisor"),
        escalated(f"c-{run}-1", level="manager"),
        escalated(f"c-{run}-2", level="department", department="finance"),
        escalated(f"c-{run}-3", level="executive", episode=2),
        escalated(f"c-{run}-4", level="manager"),
    ]
    good = [
        producer.send(encode(e, event_id=f"{run}-{i}", source="complaints/escalation")) for i, e in enumerate(events)
    ]

    # A future version of the event (another ce_type): not ours to judge, skipped.
    future = encode(escalated(f"c-{run}-future"), event_id=f"{run}-future", source="complaints/escalation")
    future_headers = [(k, b"complaints.Escalated.v2" if k == "ce_type" else v) for k, v in future.headers]
    # A broken one (right type, payload against the schema): reported and skipped, not paged.
    broken = encode(escalated(f"c-{run}-broken"), event_id=f"{run}-broken", source="complaints/escalation")
    broken_value = broken.value.replace(b'"level":"manager"', b'"level":"boss"')
    others = [producer.send(future, headers=future_headers), producer.send(broken, value=broken_value)]

    first = run_pager(broker, group)
    assert first.returncode == 0, first.stderr
    paged = pages(first, run)
    assert set(paged) == {e.complaint_id for e in events}
    for sent, event in zip(good, events, strict=True):
        m = paged[event.complaint_id]
        assert m["ce_id"] == sent.record.event_id
        assert (m["from_level"], m["level"], m["reason"]) == ("front_line", event.level, "sla_breached")
        assert m["department"] == (event.department or "-")
        assert int(m["episode"]) == event.episode
        assert (int(m["partition"]), int(m["offset"])) == (sent.partition, sent.offset)
    assert re.search(
        r"REJECT partition=\d+ offset=\d+: payload does not match complaints\.Escalated\.v1: level:", first.stderr
    )
    assert f"c-{run}-future" not in first.stdout and f"c-{run}-broken" not in first.stdout
    if broker.kind == "embedded":  # a fresh broker: nothing but this test's records
        assert "done: paged=5 skipped=1 rejected=1" in first.stderr

    # Offsets: every partition is committed past the last record this test wrote to it.
    last: dict[int, int] = defaultdict(lambda: -1)
    for s in [*good, *others]:
        last[s.partition] = max(last[s.partition], s.offset)
    offsets = committed(settings, group)
    for partition, offset in last.items():
        assert offsets.get(partition, -1) >= offset + 1, f"partition {partition}: committed {offsets.get(partition)}"

    # A rerun in the same group reads nothing old: only what arrived since. The new event is
    # delivered twice (a producer retry, say): same ce_id, paged once.
    new = encode(escalated(f"c-{run}-new", level="executive"), event_id=f"{run}-new", source="complaints/escalation")
    again = [producer.send(new), producer.send(new)]
    second = run_pager(broker, group)
    assert second.returncode == 0, second.stderr
    assert "assigned" in second.stderr  # it did join and fetch
    paged_again = pages(second, run)
    assert set(paged_again) == {f"c-{run}-new"}
    assert int(paged_again[f"c-{run}-new"]["offset"]) == again[0].offset
    assert "REJECT" not in second.stderr
    assert committed(settings, group)[again[1].partition] >= again[1].offset + 1


def test_pager_explains_itself() -> None:
    out = subprocess.run([sys.executable, str(PAGER), "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0
    for option in ("--bootstrap", "--group", "--schema", "--session-timeout-ms", "KAFKA_SASL_MECHANISM"):
        assert option in out.stdout

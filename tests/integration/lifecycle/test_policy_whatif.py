"""`complaints what-if` on the real stack: the recorded history, read from the topics, re-decided under a
candidate policy; read-only (the topics are unchanged afterwards)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from complaints.domain.policy import load_policy
from tests.integration.lifecycle.story import Case
from tests.kafka_helpers import read_topic
from tests.stack import FAST_POLICY, Stack, service_env


def test_what_if_re_decides_the_recorded_history_under_a_candidate(stack: Stack, tmp_path: Path) -> None:
    case = Case.post(stack, channel="in_person", customer={"email": "whatif@example.com"},
                     description="I got the wrong sandwich", amount_at_stake={"amount": "8.50", "currency": "USD"})
    case.wait_for("ComplaintReceived", "RecoveryOffered")
    data = yaml.safe_load(FAST_POLICY.read_text())
    data["recovery"]["gesture"]["USD"] = "10.00"  # the candidate doubles the gesture
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(yaml.safe_dump(data))
    before = len(read_topic(stack.settings, "RecoveryOffered"))

    out = subprocess.run([sys.executable, "-m", "complaints.cli", "what-if", "--policy", str(candidate), "--json"],
                         capture_output=True, text=True, timeout=60, env=service_env(stack.settings), check=True)
    report = json.loads(out.stdout)

    assert report["candidate"] == load_policy(candidate).policy_id
    [mine] = [c for c in report["changed"] if c["complaint_id"] == case.complaint_id]
    assert mine["before"]["offers"] == [{"amount": "13.50", "currency": "USD"}]  # 8.50 + the 5.00 gesture, as recorded
    assert mine["after"]["offers"] == [{"amount": "18.50", "currency": "USD"}]  # one per episode
    assert mine["before"]["automatic"] and mine["after"]["automatic"] and mine["after"]["breached"] is False
    assert report["offers_differ"] >= 1 and report["cases"] >= 1
    assert len(read_topic(stack.settings, "RecoveryOffered")) == before  # read-only


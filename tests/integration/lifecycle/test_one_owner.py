"""One owner decides per case: two follow-up replicas on one database, an agent's answer on one and the
no-response tick on the other, at the same moment — exactly one `FollowedUp` outcome per case."""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from complaints.broker.embedded import free_port
from complaints.settings import Settings
from tests.integration.lifecycle.test_delivery_guarantees import complaint, publish, wait_offers
from tests.kafka_helpers import read_topic
from tests.stack import FAST_POLICY, ServiceProcess, Stack, service_env
from tests.tokens import bearer

CASES = 40


def test_an_answer_and_the_no_response_tick_on_two_replicas_decide_once(
        settings: Settings, db_url: str, tmp_path: Path) -> None:
    local = settings.model_copy(update={"database_url": db_url})
    policy = tmp_path / "policy.yaml"  # the fast test policy with a 3 s answer window (5 s): the race comes sooner
    policy.write_text(FAST_POLICY.read_text().replace("answer_window: 5s", "answer_window: 3s"))
    stack = Stack(local, tmp_path, policy)
    env = service_env(local, stack.policy)
    replicas = [ServiceProcess("followup", free_port(), env, tmp_path / f"followup-{n}.log").start() for n in (1, 2)]
    try:
        stack.start("recovery")  # while the replicas start
        for replica in replicas:
            replica.wait_ready()
        cases = [complaint(n, "race") for n in range(CASES)]
        publish(settings, cases)
        wait_offers(settings, {c.complaint_id for c in cases})
        respond_by = {env_.complaint_id: env_.event.respond_by  # type: ignore[attr-defined]
                      for env_ in (r.envelope() for r in read_topic(settings, "RecoveryOffered", idle=0.3))}
        token = bearer(local, "senior-1", level="executive")
        answered: dict[str, int] = {}

        def answer(cid: str, url: str, at: datetime) -> None:
            time.sleep(max(0.0, (at - datetime.now(at.tzinfo)).total_seconds()))
            reply = httpx.post(f"{url}/complaints/{cid}/follow-up", json={"satisfied": True, "csat": 5},
                               headers=token, timeout=20)
            answered[cid] = reply.status_code

        rng = random.Random(7)
        threads = []
        for n, (cid, due) in enumerate(sorted(respond_by.items())):
            at = due + timedelta(seconds=rng.random() - 0.1)  # around the tick that closes it
            threads.append(threading.Thread(target=answer, args=(cid, replicas[n % 2].url, at)))
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        deadline = time.monotonic() + 30
        followed: dict[str, set[bytes]] = defaultdict(set)
        while time.monotonic() < deadline:
            followed = defaultdict(set)
            for r in read_topic(settings, "FollowedUp", idle=0.3):
                followed[r.headers["ce_id"].decode()].add(r.value or b"")
            if len(followed) >= CASES:
                break
            time.sleep(0.5)
        time.sleep(1.5)
        by_case: dict[bytes, set[bytes]] = defaultdict(set)
        for r in read_topic(settings, "FollowedUp", idle=0.3):
            by_case[r.key or b""].add(r.value or b"")
    finally:
        for replica in replicas:
            replica.stop()
        stack.stop()
    assert len(by_case) == CASES, f"{CASES - len(by_case)} cases never followed up"
    divergent = {k: v for k, v in by_case.items() if len(v) > 1}
    assert not divergent, f"{len(divergent)} cases followed up twice, differently: {divergent}"
    outcomes = {b'"no_response"' in next(iter(v)) for v in by_case.values()}
    assert sorted(answered.values()) and set(answered.values()) <= {202, 409}, answered
    assert outcomes, "every case has its one outcome"

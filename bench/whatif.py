"""What-if speed: a candidate policy over a recorded history, in cases per second (issue 18: >= 20,000/s).

The history is made by the decision functions themselves (escalation, recovery, follow-up; no broker):
`whatif_templates` distinct complaints of the bench's mix, each with a customer's behaviour (happy at
once, unhappy then happy, a decline, no answer while the SLA ladder climbs), repeated with their own
ids to `whatif_cases` cases. Measured in one process, in the same run: the what-if itself
(`complaints/domain/whatif.py`, every episode re-decided) and, as the ceiling, the pure part it cannot
skip: reading each case's recorded side (`whatif_cases.recorded`, the lifecycle's `derive`). Reading
the topics is not included (`complaints what-if` adds it).
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from typing import Any

import yaml

from bench.context import POLICY, Figure, Run
from bench.mix import Mix
from complaints.domain import Emit, escalation, evolve, followup, recovery
from complaints.domain.case import CaseState
from complaints.domain.policy import Policy, load_policy, parse_policy
from complaints.domain.whatif import what_if
from complaints.domain.whatif_cases import Recorded, recorded
from complaints.ids import deterministic_id

TARGET = 20_000
TEMPLATES, CASES = 2_000, 50_000


def _case(policy: Policy, body: dict[str, Any], cid: str, behaviour: int) -> list[Recorded]:
    received = Mix.received(body, cid, policy)
    t0 = received.received_at
    states: dict[str, CaseState | None] = {"e": None, "r": None}
    log: list[Recorded] = []

    def publish(emits: list[Emit], now: Any) -> None:
        queue = list(emits)
        while queue:
            emit = queue.pop(0)
            log.append((emit.event, now))
            for name, decide in (("e", escalation.on_event), ("r", recovery.on_event)):
                out = decide(states[name], emit.event, emit.event_id, policy, now)
                state = states[name]
                for e in (emit, *out):
                    state = evolve(state, e.event, e.event_id, now)
                states[name] = state
                queue += out

    publish([Emit(received, deterministic_id("ComplaintReceived", cid), None)], t0)
    for step in range(1, 4):
        now = t0 + step * timedelta(minutes=20)
        state = states["e"]
        assert state is not None
        if behaviour == 3 or state.open_offer is None:  # nobody answers: the SLA ladder climbs
            publish(escalation.on_tick(state, policy, now), now)
            continue
        happy = behaviour == 0 or step > 1
        publish(followup.answer(state, satisfied=happy, csat=None, comment=None, agent="cust", policy=policy,
                                now=now), now)
        if happy or behaviour == 2:
            break
    return log


def history(policy: Policy, templates: int, cases: int) -> list[list[Recorded]]:
    mix, rng = Mix(policy, seed=5, predict=False), random.Random(5)
    made = [_case(policy, mix.complaint().body, f"wi-{i}", rng.randrange(4)) for i in range(templates)]
    return [made[i % templates] for i in range(cases)]


def candidate() -> Policy:
    data = yaml.safe_load(POLICY.read_text())
    data["recovery"]["gesture"] = {c: str(float(v) * 2) for c, v in data["recovery"]["gesture"].items()}
    data["sla"]["first_response"]["chat"] = {"default": "2h"}
    return parse_policy(data)


def run_whatif(run: Run, templates: int = TEMPLATES, cases: int = CASES) -> None:
    policy = load_policy(POLICY)
    made = time.perf_counter()
    histories = history(policy, templates, cases)
    made = time.perf_counter() - made
    as_of = max(at for h in histories for _, at in h) + timedelta(hours=1)
    cand = candidate()
    started = time.perf_counter()
    for h in histories:
        recorded(h, as_of)
    fold_s = time.perf_counter() - started
    started = time.perf_counter()
    report = what_if(histories, cand, as_of)
    whatif_s = time.perf_counter() - started
    run.details["whatif"] = {"cases": cases, "templates": templates, "events": sum(len(h) for h in histories),
                             "history_s": round(made, 2), "fold_s": round(fold_s, 3), "whatif_s": round(whatif_s, 3),
                             "changed": len(report.changed)}
    figures(run, run.details["whatif"])


def figures(run: Run, d: dict[str, Any]) -> None:
    rate, ceiling = d["cases"] / d["whatif_s"], d["cases"] / d["fold_s"]
    run.add(Figure(
        figure="what-if: a candidate policy over the recorded history (cases/s, one process)",
        value=f"{rate:,.0f}", ceiling=f"{ceiling:,.0f} (reading the recorded side alone)",
        share=f"{rate / ceiling:.0%}", target=f"≥ {TARGET:,}", verdict="met" if rate >= TARGET else "missed",
        note=f"{d['cases']:,} cases ({d['events']:,} events; {d['templates']:,} distinct complaints repeated, so "
             f"the candidate's memoised decisions mostly hit), {d['changed']:,} changed; topics not read"))

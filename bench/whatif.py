"""What-if speed: a candidate policy over a recorded history, in cases per second (issue 18: >= 20,000/s).

The history is made by the decision functions themselves (escalation, recovery, follow-up; no broker):
`whatif_templates` complaints of the bench's mix, each with a customer's behaviour (happy at
once, unhappy then happy, a decline, no answer while the SLA ladder climbs); every other case up to
`whatif_cases` is a variant of one of them with its own id, its own times (shifted by up to 60 days:
nights, weekends and holidays fall differently) and its own amount at stake, so every case is
distinct and the candidate decides afresh wherever the policy reads the difference (the memo is
keyed on the policy-relevant facts only: `whatif_cases.Candidate`).
Measured in one process, in the same run: the what-if itself
(`complaints/domain/whatif.py`, every episode re-decided) and, as the ceiling, the pure part it cannot
skip: reading each case's recorded side (`whatif_cases.recorded`, the lifecycle's `derive`). Reading
the topics is not included (`complaints what-if` adds it).
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import yaml

from bench.context import POLICY, Figure, Run
from bench.mix import Mix
from complaints.domain import Emit, escalation, evolve, followup, recovery
from complaints.domain.case import CaseState
from complaints.domain.policy import Policy, load_policy, parse_policy
from complaints.domain.whatif_cases import Candidate, Recorded, recorded, redecide
from complaints.heap import batch_gc
from complaints.ids import deterministic_id
from complaints.whatif.run import report as run_report
from schemas.common import Money
from schemas.events import ComplaintReceived, Escalated, FollowedUp, RecoveryOffered

TARGET = 20_000
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a fixed start: the same history on every run
TEMPLATES, CASES = 2_000, 50_000
REPEATS = 3


def _case(policy: Policy, body: dict[str, Any], cid: str, behaviour: int, at: datetime) -> list[Recorded]:
    received = Mix.received(body, cid, policy, received_at=at)
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
    """`cases` distinct cases: each a variant of one of `templates` lifecycles the decision functions ran,
    with its own id, its own times (shifted by minutes to weeks, so weekends, nights and holidays fall
    differently) and its own amount at stake (so no two cases share the candidate's decision inputs)."""
    mix, rng = Mix(policy, seed=5, predict=False), random.Random(5)
    made = [_case(policy, mix.complaint().body, f"wi-{i}", rng.randrange(4), START + timedelta(minutes=7 * i))
            for i in range(templates)]
    return [made[i] if i < templates else _variant(made[i % templates], i, rng) for i in range(cases)]


def _variant(events: list[Recorded], i: int, rng: random.Random) -> list[Recorded]:
    shift = timedelta(minutes=rng.randrange(1, 60 * 24 * 60))
    cid, cents = f"wi-{i}", Decimal(rng.randrange(1, 50_000)) / 100
    out: list[Recorded] = []
    for event, at in events:
        changes: dict[str, Any] = {"complaint_id": cid}
        for name in _TIMES[type(event)]:
            value = getattr(event, name)
            if value is not None:
                changes[name] = value + shift
        if isinstance(event, ComplaintReceived) and event.amount_at_stake is not None:
            changes["amount_at_stake"] = Money(amount=event.amount_at_stake.amount + cents,
                                               currency=event.amount_at_stake.currency)
        elif isinstance(event, RecoveryOffered):
            changes["offer_id"] = f"{event.offer_id}-{i}"
            changes["supersedes"] = event.supersedes and f"{event.supersedes}-{i}"
        elif isinstance(event, FollowedUp):
            changes["offer_id"] = f"{event.offer_id}-{i}"
        out.append((event.model_copy(update=changes), at + shift))
    return out


_TIMES: dict[type, tuple[str, ...]] = {
    ComplaintReceived: ("received_at", "occurred_at", "first_response_due_at"), Escalated: ("sla_due_at",),
    RecoveryOffered: ("follow_up_at", "respond_by"), FollowedUp: ()}


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
    fold_s = whatif_s = float("inf")
    for _ in range(REPEATS):  # the best of a few runs each, alternated: the machine is shared
        with batch_gc():  # as `complaints what-if` and POST /what-if run it (complaints/whatif/run.py)
            started = time.perf_counter()
            for h in histories:
                recorded(h, as_of)
            fold_s = min(fold_s, time.perf_counter() - started)
        started = time.perf_counter()
        report = run_report(histories, cand, as_of)
        whatif_s = min(whatif_s, time.perf_counter() - started)
    memo = Candidate(cand)  # the memo's share, counted on a second pass outside the timing
    for h in histories:
        found = recorded(h, as_of)
        if found is not None:
            redecide(found[0], found[1], memo, as_of)
    run.details["whatif"] = {"cases": cases, "templates": templates, "events": sum(len(h) for h in histories),
                             "history_s": round(made, 2), "fold_s": round(fold_s, 3), "whatif_s": round(whatif_s, 3),
                             "changed": len(report.changed), "memo_hits": memo.hits, "memo_misses": memo.misses,
                             "repeats": REPEATS}
    figures(run, run.details["whatif"])


def figures(run: Run, d: dict[str, Any]) -> None:
    rate, ceiling = d["cases"] / d["whatif_s"], d["cases"] / d["fold_s"]
    run.add(Figure(
        figure="what-if: a candidate policy over the recorded history (cases/s, one process)",
        value=f"{rate:,.0f}", ceiling=f"{ceiling:,.0f} (reading the recorded side alone)",
        share=f"{rate / ceiling:.0%}", target=f"≥ {TARGET:,}", verdict="met" if rate >= TARGET else "missed",
        note=f"best of {d.get('repeats', 1)} runs; {d['cases']:,} distinct cases ({d['events']:,} events; own ids, "
             f"times and amounts at stake; {d.get('memo_hits', 0):,} of the candidate's decisions shared by cases "
             f"alike in what the policy reads, {d.get('memo_misses', 0):,} made afresh), {d['changed']:,} changed; "
             "topics not read"))

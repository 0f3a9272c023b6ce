"""The pure functional core of the complaint lifecycle: policy, case state, and decisions.

No I/O here except `load_policy` reading a YAML file. Decisions are pure functions of
(state, input, policy, now) returning `Emit`s with deterministic ids; the services
(escalation, recovery, follow-up) are thin shells that consume, decide and produce:

    emits = escalation.on_event(state, envelope.event, envelope.id, policy, now)
    produce(emits)                                   # first: a crash before saving replays the same ids
    state = evolve(state, envelope.event, envelope.id, now)
    for emit in emits:                               # fold your own output in at once
        state = evolve(state, emit.event, emit.event_id, now)
    save(state); index(escalation.next_due(state, policy))

What a case *is* (status, episode, level, department, first-response due time, breached) is
defined once, in `lifecycle`: the workers' `CaseState` and the read model's fold both call it.

That contract is written once, in `step`: `step.consume(state, event, event_id, at, react, now)`
skips an applied id, folds the event, reacts (`escalation.react(state_after, event, policy, now)`,
...) and folds the emits; `step.decide(state, decision, now)` does the same for a service's own
decision. `escalation.on_event` / `recovery.on_event` are `step.consume` with their `react`.

Beside the lifecycle services: `intake` (classify what the customer did not say, build the
`ComplaintReceived`), `triage` (who owns a new case); `emit`, `errors`, `wording`, `levels`
hold what every decision shares.

Timers: `escalation.on_tick(state, policy, now)` / `followup.on_tick(state, policy, now)` for
cases whose `next_due` has passed; HTTP: `escalation.manual`, `recovery.manual_offer`,
`followup.answer` (they raise `DomainError` subclasses with messages meant for the caller).
"""

from complaints.domain import escalation, followup, lifecycle, recovery
from complaints.domain.case import CaseFacts, CaseState, Status, evolve
from complaints.domain.emit import Emit
from complaints.domain.errors import (
    AuthorityExceeded,
    CaseClosed,
    DomainError,
    InvalidEscalation,
    InvalidOffer,
    NoOpenOffer,
    UnknownCase,
)
from complaints.domain.policy import Policy, PolicyError, load_policy, parse_policy
from complaints.domain.remedy import FairRemedy, fair_remedy
from complaints.domain.triage import Triage, triage

__all__ = [
    "AuthorityExceeded",
    "CaseClosed",
    "CaseFacts",
    "CaseState",
    "DomainError",
    "Emit",
    "FairRemedy",
    "InvalidEscalation",
    "InvalidOffer",
    "NoOpenOffer",
    "Policy",
    "PolicyError",
    "Status",
    "Triage",
    "UnknownCase",
    "escalation",
    "evolve",
    "fair_remedy",
    "followup",
    "lifecycle",
    "load_policy",
    "parse_policy",
    "recovery",
    "triage",
]

"""The pure functional core of the complaint lifecycle: policy, case state, and decisions.

No I/O here except `load_policy` reading a YAML file. Decisions are pure functions of
(state, input, policy, now) returning `Emit`s with deterministic ids; the services
(escalation, recovery, follow-up) are thin shells that consume, decide and produce.
"""

from complaints.domain import escalation, followup, recovery
from complaints.domain.case import CaseFacts, CaseState, Status, evolve
from complaints.domain.decisions import (
    AuthorityExceeded,
    CaseClosed,
    DomainError,
    Emit,
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
    "load_policy",
    "parse_policy",
    "recovery",
    "triage",
]

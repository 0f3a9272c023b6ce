"""The what-if decides once per policy-relevant facts: what it remembers is what the decisions say afresh."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import get_args

from complaints.domain import Policy
from complaints.domain.case import CaseFacts
from complaints.domain.escalation import reopen_levels
from complaints.domain.recovery import automatic_remedy
from complaints.domain.triage import triage
from complaints.domain.whatif_cases import Candidate
from schemas.common import LEVELS, Category, Channel, Money, Severity
from tests.unit.domain.helpers import complaint


def cases(n: int) -> list:  # type: ignore[type-arg]
    rng = random.Random(7)
    out = []
    for i in range(n):
        stake = None if rng.random() < 0.2 else Money(amount=Decimal(rng.randrange(1, 120_000)) / 100,
                                                       currency=rng.choice(("USD", "EUR", "GBP", "JPY")))
        out.append(complaint(f"c-{i}", channel=rng.choice(get_args(Channel)), category=rng.choice(get_args(Category)),
                             severity=rng.choice(get_args(Severity)), public=rng.random() < 0.2,
                             wants_human=rng.random() < 0.1, prior_complaints=rng.randrange(6), amount_at_stake=stake))
    return out


def test_every_memoised_decision_equals_the_decision_made_afresh(policy: Policy) -> None:
    cand = Candidate(policy)
    for received in cases(1500):
        cand.case(received)
        facts = CaseFacts.of(received)
        fresh = triage(received, policy)
        assert cand.triage() == (fresh.level, fresh.department, fresh.remedy.total if fresh.auto_offer else None)
        for episode in (1, 2, 3):
            for level in LEVELS:
                priced = automatic_remedy(facts, episode, level, policy) if policy.auto_offer(level) else None
                assert cand.automatic(level, episode) == (None if priced is None else priced[0].total)
                assert cand.reopen(level, episode) == reopen_levels(level, facts, episode, policy)[1]
    assert cand.hits > cand.misses / 2  # cases alike in what the policy reads did share their decisions


def test_cases_differing_only_in_what_no_rule_reads_share_a_key(policy: Policy) -> None:
    cand = Candidate(policy)
    # a delivery's remedy is a gesture: its exact amount at stake is read by no rule below the floors
    a = complaint("a", category="delivery", amount_at_stake=Money(amount=Decimal("12.00"), currency="USD"))
    b = complaint("b", category="delivery", amount_at_stake=Money(amount=Decimal("13.37"), currency="USD"),
                  received_at=a.received_at.replace(year=2026))
    assert cand.key(a) == cand.key(b)
    # a wrong order's replacement is priced from the amount at stake: the exact amount is part of the key
    c = complaint("c", amount_at_stake=Money(amount=Decimal("8.51"), currency="USD"))
    assert cand.key(c) != cand.key(complaint("d"))

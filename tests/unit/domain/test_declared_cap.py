"""Customer-declared amounts drive automatic money only up to the policy's `declared_auto_max`."""

from __future__ import annotations

import pytest

from complaints.domain import AuthorityExceeded, Policy, recovery, triage
from schemas.events import Escalated, RecoveryOffered, Remedy
from tests.unit.domain.helpers import T0, Lifecycle, complaint, usd

CHARGED_TWICE = {"channel": "web", "category": "billing", "severity": "medium"}


def test_a_declared_480_charged_twice_gets_no_automatic_refund_and_the_reason_says_why(case: Lifecycle) -> None:
    case.receive(complaint(**CHARGED_TWICE, amount_at_stake=usd("480.00")))

    escalated = case.last(Escalated)
    assert escalated.level == "manager"  # the level that could offer it, raised as before
    assert any("declares USD 480.00 at stake, above the USD 100.00 an automatic offer may rest on: "
               "a person checks the claim and decides the offer." in r for r in escalated.reasons)
    assert "RecoveryOffered" not in case.kinds()  # no money without a person


def test_at_or_below_the_cap_the_standard_offer_is_still_automatic(case: Lifecycle) -> None:
    case.receive(complaint(**CHARGED_TWICE, amount_at_stake=usd("100.00")))
    offer = case.last(RecoveryOffered)
    assert offer.offered_by == "policy" and offer.total == usd("105.00")


def test_a_person_may_still_offer_within_their_authority_above_the_cap(case: Lifecycle, policy: Policy) -> None:
    case.receive(complaint(**CHARGED_TWICE, amount_at_stake=usd("480.00")))
    state = case.state("recovery")
    assert state.facts is not None
    fair = triage(state.facts, policy).remedy.remedies
    [emit] = recovery.manual_offer(state, agent="m-7", level="manager", remedies=fair, apology=None, policy=policy,
                                   now=T0, request_id="r-1")
    assert emit.event.offered_by == "m-7" and emit.event.total == usd("485.00")  # type: ignore[attr-defined]


def test_amounts_not_priced_from_the_declared_stake_are_not_capped(policy: Policy) -> None:
    decided = triage(complaint(category="staff_conduct", amount_at_stake=usd("900.00")), policy)
    assert not any("declares" in r for r in decided.reasons)


def test_a_currency_the_cap_does_not_list_is_never_automatic(policy: Policy) -> None:
    yen = complaint(**CHARGED_TWICE, amount_at_stake=usd("1").model_copy(update={"currency": "JPY"}))
    decided = triage(yen, policy)
    assert not decided.auto_offer


def test_the_largest_declared_amount_goes_to_an_executive_without_breaking_anything(case: Lifecycle) -> None:
    case.receive(complaint(**CHARGED_TWICE, amount_at_stake=usd("999999999999.99")))  # refund + gesture: > 10^12
    escalated = case.last(Escalated)
    assert escalated.level == "executive" and "RecoveryOffered" not in case.kinds()
    assert any("above every level's authority" in r for r in escalated.reasons)


def test_remedies_adding_up_beyond_what_money_holds_are_refused_as_above_authority(case: Lifecycle,
                                                                                   policy: Policy) -> None:
    case.receive(complaint(**CHARGED_TWICE, amount_at_stake=usd("10.00")))
    huge = Remedy(type="refund", amount=usd("999999999999.00"), description="Everything, twice.")
    with pytest.raises(AuthorityExceeded, match=r"USD 999999999999\.99, above the executive level's authority"):
        recovery.manual_offer(case.state("recovery"), agent="x-1", level="executive", remedies=(huge, huge),
                              apology=None, policy=policy, now=T0, request_id="r-2")


def test_a_policy_amount_that_is_not_money_is_refused_when_loaded() -> None:
    from pathlib import Path

    import yaml

    from complaints.domain import PolicyError, parse_policy

    data = yaml.safe_load((Path(__file__).resolve().parents[3] / "deploy" / "policy.yaml").read_text())
    data["recovery"]["declared_auto_max"]["USD"] = "100.005"
    with pytest.raises(PolicyError, match="not an amount of money"):
        parse_policy(data)

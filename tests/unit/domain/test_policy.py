"""Policies protect customers: a policy that could charge one, or is inconsistent, is refused at load."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from complaints.domain import Policy, PolicyError, load_policy, parse_policy
from complaints.domain.durations import format_duration, parse_duration
from tests.unit.domain.conftest import DEFAULT_POLICY, FAST_POLICY

BASE: dict[str, Any] = yaml.safe_load(DEFAULT_POLICY.read_text())


def refused(change: Callable[[dict[str, Any]], object]) -> str:
    data = copy.deepcopy(BASE)
    change(data)
    with pytest.raises(PolicyError) as info:
        parse_policy(data, "policy.yaml")
    return str(info.value)


def test_the_shipped_policies_load() -> None:
    default, fast = load_policy(DEFAULT_POLICY), load_policy(FAST_POLICY)
    assert default.version == "2025.2" and fast.version != default.version
    assert default.first_response_sla("social", "medium", public=True) == timedelta(hours=1)
    assert default.follow_up_delay("in_person") == timedelta(minutes=5)
    assert default.first_response_sla("email", "low", public=False) == timedelta(days=1)
    assert fast.first_response_sla("social", "medium", public=True) <= timedelta(seconds=5)
    assert max(fast.follow_up.delay.values()) <= timedelta(seconds=5)


def test_the_fast_policy_only_shortens_durations() -> None:
    default, fast = load_policy(DEFAULT_POLICY), load_policy(FAST_POLICY)
    assert fast.levels == default.levels
    assert fast.triage == default.triage
    assert fast.recovery == default.recovery


def test_department_and_executive_leave_the_offer_to_a_person_by_default(policy: Policy) -> None:
    assert [policy.auto_offer(level) for level in policy.levels] == [True, True, True, False, False]


def test_a_policy_that_would_charge_the_customer_is_refused() -> None:
    def charge(data: dict[str, Any]) -> None:
        data["recovery"]["recipes"]["wrong_order"]["items"][1]["factor"] = "-1"

    assert "recovery.recipes.wrong_order.items[1]: factor -1 would charge the customer" in refused(charge)


def test_a_negative_amount_is_refused() -> None:
    message = refused(lambda d: d["recovery"]["gesture"].update(USD="-5.00"))
    assert "recovery.gesture.USD: -5.00 is negative" in message


def test_a_level_without_an_authority_limit_is_refused() -> None:
    assert "levels.manager.authority_limit: is required" in refused(lambda d: d["levels"]["manager"].clear())
    assert "levels.manager: is required (every level needs an authority_limit)" in refused(
        lambda d: d["levels"].pop("manager")
    )


def test_authority_never_decreases_up_the_levels() -> None:
    message = refused(lambda d: d["levels"]["manager"]["authority_limit"].update(USD="50.00"))
    assert "levels.manager.authority_limit.USD: 50.00 is less than supervisor's 100.00" in message


def test_a_triage_rule_naming_an_unknown_department_or_level_is_refused() -> None:
    assert "triage.rules[0].department:" in refused(lambda d: d["triage"]["rules"][0].update(department="marketing"))
    assert "(got 'marketing')" in refused(lambda d: d["triage"]["rules"][0].update(department="marketing"))
    assert "triage.rules[0].level:" in refused(lambda d: d["triage"]["rules"][0].update(level="ceo"))


def test_a_remedy_outside_the_catalogue_is_refused() -> None:
    message = refused(lambda d: d["recovery"].update(catalogue=["apology", "coupon", "free_product", "replacement"]))
    assert "recovery.recipes.billing.items[0].type: 'refund' is not in recovery.catalogue" in message
    assert "recovery.recipes.wrong_order.items[0].type: 'fine' is not" not in message
    assert "(got 'fine')" in refused(lambda d: d["recovery"]["recipes"]["wrong_order"]["items"][0].update(type="fine"))


def test_every_channel_needs_an_sla_and_a_follow_up_delay() -> None:
    assert "sla.first_response.social: is required" in refused(lambda d: d["sla"]["first_response"].pop("social"))
    assert "sla.first_response.phone: no SLA for severity low, medium, high" in refused(
        lambda d: d["sla"]["first_response"]["phone"].pop("default")
    )
    assert "follow_up.delay.email: is required" in refused(lambda d: d["follow_up"]["delay"].pop("email"))


def test_policies_are_versioned_and_strict_about_keys() -> None:
    assert "version: is required" in refused(lambda d: d.pop("version"))
    assert "quote it in YAML" in refused(lambda d: d.update(version=2025.1))
    assert "sla.typo: is not a policy key" in refused(lambda d: d["sla"].update(typo="1h"))
    assert "recovery.apology: unknown placeholder {name}" in refused(
        lambda d: d["recovery"].update(apology="Hi {name}")
    )


def test_durations_are_compact_strings() -> None:
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("1d") == timedelta(days=1)
    assert format_duration(timedelta(minutes=90)) == "1h30m"
    message = refused(lambda d: d["follow_up"].update(answer_window=90))
    assert "follow_up.answer_window: write a duration as a string such as '90s'" in message
    assert "must be longer than zero" in refused(lambda d: d["follow_up"].update(answer_window="0s"))


def test_load_policy_reports_unreadable_files_clearly(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read the file"):
        load_policy(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: [unclosed\n")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy(broken)
    broken.write_text("- just\n- a list\n")
    with pytest.raises(PolicyError, match="the top level must be a mapping"):
        load_policy(broken)


def test_all_problems_are_reported_at_once() -> None:
    def many(data: dict[str, Any]) -> None:
        data["sla"]["first_response"].pop("web")
        data["follow_up"]["delay"].pop("web")

    error_text = refused(many)
    assert "sla.first_response.web" in error_text and "follow_up.delay.web" in error_text

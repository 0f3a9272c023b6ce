"""Issue 18 item 3: deadlines in business time — time zones, DST changes and holidays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import yaml
from pydantic import ValidationError

from complaints.domain import Policy, escalation, evolve, parse_policy
from complaints.domain.policy import PolicyError
from complaints.domain.policy_calendar import Calendar
from complaints.domain.triage import triage
from tests.unit.domain.conftest import DEFAULT_POLICY
from tests.unit.domain.helpers import complaint

H = timedelta(hours=1)
WEEKDAYS = {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}
LONDON = Calendar(time_zone="Europe/London", hours=WEEKDAYS, holidays=("2026-12-25", "2026-12-28"))  # type: ignore[arg-type]


def utc(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def test_open_time_only_counts_while_open() -> None:
    assert LONDON.add(utc(2026, 3, 4, 10), 4 * H) == utc(2026, 3, 4, 14)  # a Wednesday in GMT
    assert LONDON.add(utc(2026, 3, 4, 20), 1 * H) == utc(2026, 3, 5, 10)  # after hours: from the next opening
    assert LONDON.add(utc(2026, 3, 4, 16), 9 * H) == utc(2026, 3, 5, 17)  # 1h + 8h: closing time, the next day


def test_across_the_spring_dst_change() -> None:
    # Friday 27 March 2026 16:00 GMT; clocks go forward on Sunday the 29th: Monday opens 09:00 BST = 08:00Z
    assert LONDON.add(utc(2026, 3, 27, 16), 4 * H) == utc(2026, 3, 30, 11)  # 1h Friday + 3h Monday (12:00 BST)


def test_across_the_autumn_dst_change() -> None:
    always = Calendar(time_zone="Europe/London", hours={d: "00:00-24:00" for d in ("sat", "sun", "mon")})  # type: ignore[misc]
    # Sunday 25 October 2026 lasts 25 hours in London: from Saturday midnight BST (23:00Z) to Monday 00:00 GMT
    assert always.add(utc(2026, 10, 24, 23), 48 * H) == utc(2026, 10, 26, 23)  # 49 wall hours: Mon 23:00 GMT
    assert always.add(utc(2026, 10, 24, 23), 49 * H) == utc(2026, 10, 27, 0)


def test_holidays_are_closed_all_day() -> None:
    # Thursday 24 December 15:00 GMT, 4h: 2h Thursday; Friday 25 (holiday), the weekend, Monday 28 (holiday)
    assert LONDON.add(utc(2026, 12, 24, 15), 4 * H) == utc(2026, 12, 29, 11)


def test_a_calendar_is_checked_at_load() -> None:
    with pytest.raises(ValidationError, match="IANA time zone"):
        Calendar(time_zone="Mars/Olympus", hours=WEEKDAYS)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="opening before closing"):
        Calendar(time_zone="UTC", hours={"mon": "17:00-09:00"})
    data = yaml.safe_load(DEFAULT_POLICY.read_text())
    data["sla"]["calendar_by_channel"] = {"email": "office"}
    with pytest.raises(PolicyError, match="'office' is not one of calendars"):
        parse_policy(data)


def office_policy() -> Policy:
    data = yaml.safe_load(DEFAULT_POLICY.read_text())
    data["calendars"] = {"office": {"time_zone": "Europe/London", "hours": WEEKDAYS, "holidays": ["2026-12-25"]}}
    data["sla"]["calendar_by_channel"] = {"email": "office", "web": "office"}  # social stays on the wall clock
    return parse_policy(data)


def test_the_policy_counts_email_in_business_time_and_social_on_the_wall_clock() -> None:
    policy = office_policy()
    friday = utc(2026, 3, 27, 16)
    email = triage(complaint(channel="email", severity="high", received_at=friday), policy)  # 4h
    assert email.sla_due_at == utc(2026, 3, 30, 11)
    social = triage(complaint(channel="social", public=True, amount_at_stake=None, received_at=friday), policy)
    assert social.sla_due_at == friday + H  # the social one-hour promise
    state = evolve(None, complaint(channel="email", severity="high", received_at=friday, category="privacy",
                                   amount_at_stake=None), "r-1", friday)
    [up] = escalation.react(state, complaint(channel="email", severity="high", received_at=friday,
                                              category="privacy", amount_at_stake=None), policy, friday)
    assert up.event.sla_due_at == utc(2026, 3, 30, 11)  # type: ignore[attr-defined]

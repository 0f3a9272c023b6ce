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


# -- calendars per level and department (issue 18 item 3): whose hours count ------------------------

NEW_YORK = {"time_zone": "America/New_York", "hours": WEEKDAYS, "holidays": ["2026-11-26"]}  # Thanksgiving
BERLIN = {"time_zone": "Europe/Berlin", "hours": {d: "08:00-20:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat")},
          "holidays": ["2026-04-03"]}  # Good Friday


def staffed_policy() -> Policy:
    """Email on London office hours; supervisors work in Berlin; finance in New York; social on the wall clock."""
    data = yaml.safe_load(DEFAULT_POLICY.read_text())
    data["calendars"] = {"office": {"time_zone": "Europe/London", "hours": WEEKDAYS}, "finance": NEW_YORK,
                         "supervisors": BERLIN}
    data["sla"].update(calendar_by_channel={"email": "office", "web": "office"},
                       calendar_by_level={"supervisor": "supervisors"},
                       calendar_by_department={"finance": "finance"}, wall_clock_channels=["social"])
    return parse_policy(data)


def test_a_department_counts_its_own_hours_across_the_us_dst_change() -> None:
    policy = staffed_policy()
    # Friday 6 March 2026 16:00 EST (21:00Z), a high billing email -> finance, 4h. US clocks go forward on
    # Sunday the 8th (Europe's not until the 29th): Monday opens 09:00 EDT = 13:00Z; 1h Friday + 3h Monday.
    decided = triage(complaint(channel="email", severity="high", category="billing", received_at=utc(2026, 3, 6, 21)),
                     policy)
    assert (decided.level, decided.department) == ("department", "finance")
    assert decided.sla_due_at == utc(2026, 3, 9, 16)  # 12:00 EDT, not London's hours nor 13:00 EST


def test_a_department_counts_its_own_holidays() -> None:
    policy = staffed_policy()
    # Wednesday 25 November 2026 16:00 EST (21:00Z); Thanksgiving closed; Friday opens 09:00 EST = 14:00Z
    decided = triage(complaint(channel="email", severity="high", category="billing", received_at=utc(2026, 11, 25, 21)),
                     policy)
    assert decided.sla_due_at == utc(2026, 11, 27, 17)  # 1h Wednesday + 3h Friday


def test_a_level_counts_its_own_hours_across_the_eu_dst_change_and_a_holiday() -> None:
    policy = staffed_policy()
    # A high web complaint -> supervisor (2h), Saturday 28 March 2026 19:30 CET (18:30Z): 30m Saturday; Sunday
    # closed; clocks go forward that night, Monday opens 08:00 CEST = 06:00Z: due 07:30Z.
    decided = triage(complaint(channel="web", severity="high", received_at=utc(2026, 3, 28, 18) + H / 2), policy)
    assert decided.level == "supervisor"
    assert decided.sla_due_at == utc(2026, 3, 30, 7) + H / 2
    # Thursday 2 April 19:00 CEST (17:00Z): 1h Thursday; Good Friday closed; Saturday opens 08:00 CEST (06:00Z)
    easter = triage(complaint(channel="web", severity="high", received_at=utc(2026, 4, 2, 17)), policy)
    assert easter.sla_due_at == utc(2026, 4, 4, 7)


def test_the_channel_calendar_counts_where_no_level_or_department_has_one() -> None:
    policy = staffed_policy()
    # A low email at the front line, Friday 27 March 2026 16:00 GMT: "1d" is 24 open hours of London's 8h days:
    # 1h Friday, 8h Monday and Tuesday (BST from Sunday: 08:00-16:00Z), 7h Wednesday.
    friday = utc(2026, 3, 27, 16)
    assert triage(complaint(channel="email", received_at=friday), policy).sla_due_at == utc(2026, 4, 1, 15)
    chat = triage(complaint(channel="chat", received_at=friday), policy)  # no calendar anywhere: the wall clock
    assert chat.sla_due_at == friday + timedelta(minutes=10)


def test_a_wall_clock_channel_keeps_its_promise_whoever_answers() -> None:
    policy = staffed_policy()
    sunday = utc(2026, 3, 29, 10)  # supervisors are closed on Sundays; a high public tweet still gets 30m
    decided = triage(complaint(channel="social", public=True, severity="high", received_at=sunday), policy)
    assert decided.level == "supervisor" and decided.sla_due_at == sunday + H / 2


def test_the_sla_ladder_counts_the_next_levels_hours() -> None:
    policy = staffed_policy()
    # A low web complaint at the front line, Friday 3 April 2026 (Good Friday: only Berlin closes) 10:00Z:
    # 4h of London office hours, due 14:00Z. The front line does not answer: the supervisor owes 4h of
    # Berlin hours from then; Good Friday is closed, Saturday 08:00-12:00 CEST = 06:00-10:00Z.
    received = complaint(channel="web", category="other", amount_at_stake=None, severity="low",
                         received_at=utc(2026, 4, 3, 10))
    decided = triage(received, policy)
    assert (decided.level, decided.sla_due_at) == ("front_line", utc(2026, 4, 3, 14))
    received = received.model_copy(update={"first_response_due_at": decided.sla_due_at})
    state = evolve(None, received, "r-1", received.received_at)
    [up] = escalation.on_tick(state, policy, utc(2026, 4, 3, 14))
    assert (up.event.level, up.event.sla_due_at) == ("supervisor", utc(2026, 4, 4, 10))  # type: ignore[attr-defined]


def test_every_named_calendar_must_exist() -> None:
    data = yaml.safe_load(DEFAULT_POLICY.read_text())
    data["sla"].update(calendar_by_level={"manager": "nights"}, calendar_by_department={"hr": "nights"},
                       wall_clock_channels=["email"], calendar_by_channel={"email": "nights"})
    with pytest.raises(PolicyError) as error:
        parse_policy(data)
    assert {p.split(":")[0] for p in error.value.problems} == {
        "sla.calendar_by_level.manager", "sla.calendar_by_department.hr", "sla.calendar_by_channel.email",
        "sla.wall_clock_channels"}

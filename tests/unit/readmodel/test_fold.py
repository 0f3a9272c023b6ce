"""The pure projector, read like the domain: each lifecycle step, reopen, order independence."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta
from pathlib import Path

from complaints.domain.policy import load_policy
from complaints.readmodel.casedoc import policy_first_response
from complaints.readmodel.fold import effective_sla, fold, project
from complaints.readmodel.model import Case
from complaints.readmodel.order import sort_key
from schemas.common import Channel, Severity
from tests.unit.readmodel.factory import T0, D, H, M, escalated, offered, received, sandwich, unhappy


def run(events: list, positions: list[str] | None = None) -> tuple[Case, list]:
    pairs = [(e.envelope(), positions[i] if positions else f"{e.event.topic}:0:{i}") for i, e in enumerate(events)]
    case, entries = fold(pairs)
    assert case is not None
    return case, entries


def test_a_received_complaint_waits_for_its_first_response_at_the_front_line() -> None:
    case, timeline = run([received("c1", T0, channel="social", customer="cust-9", public=True)])
    assert (case.status, case.level, case.department, case.episode) == ("received", "front_line", None, 1)
    assert case.customer_ref == "cust-9" and case.channel == "social" and case.public is True
    assert case.sla.due_at == T0 + H and case.sla.awaiting_response and not case.sla.breached
    assert not effective_sla(case, T0 + 59 * M).breached
    assert effective_sla(case, T0 + 61 * M).breached, "an unanswered social complaint breaches after an hour"
    assert [e.type for e in timeline] == ["ComplaintReceived"]


def test_the_front_line_deadline_is_the_policys_for_the_channel_severity_and_publicity() -> None:
    """The same deadline the escalation service's triage sets, not a per-channel approximation."""
    policy = load_policy(Path(__file__).resolve().parents[3] / "deploy" / "policy.yaml")
    cases: list[tuple[Channel, Severity, bool]] = [
        ("email", "low", False), ("email", "critical", False), ("web", "high", False),
        ("email", "low", True), ("social", "critical", True), ("chat", "low", False)]
    for channel, severity, public in cases:
        case, _ = run([received("c1", T0, channel=channel, severity=severity, public=public)])
        assert case.sla.due_at == T0 + policy.first_response_sla(channel, severity, public), (channel, severity)
    critical, _ = run([received("c2", T0, channel="email", severity="critical")])
    assert critical.sla.due_at == T0 + H, "a critical email is due within the hour, not the day"


def test_a_configured_policy_sets_the_front_line_deadline(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[3] / "deploy" / "policy.yaml").read_text()
    stricter = tmp_path / "policy.yaml"
    stricter.write_text(text.replace("web:       {default: 4h, high: 2h, critical: 1h}",
                                     "web:       {default: 90m, high: 2h, critical: 1h}"))
    case, _ = fold([(received("c3", T0, channel="web").envelope(), "ComplaintReceived:0:0")],
                   policy_first_response(stricter))
    assert case is not None and case.sla.due_at == T0 + timedelta(minutes=90)


def test_the_wrong_sandwich_is_resolved_on_the_spot_and_followed_up() -> None:
    events = sandwich()
    states = [run(events[: i + 1])[0] for i in range(len(events))]
    assert [s.status for s in states] == ["received", "recovery_offered", "closed"]
    case = states[-1]
    assert case.level == "front_line" and not case.escalations
    assert [o.offer_id for o in case.offers] == ["c-sandwich-o1"]
    assert [r.type for r in case.offers[0].remedies] == ["replacement", "free_product"]
    assert case.first_response_at == T0 + 2 * M and case.first_response_sla_met is True
    assert case.outcome is not None and (case.outcome.outcome, case.outcome.csat) == ("satisfied", 5)
    assert case.follow_ups[0].has_comment is True
    assert case.episodes[0].started_at == T0 and case.episodes[0].ended_at == T0 + 7 * M
    assert case.positions == {"ComplaintReceived:0": 0, "RecoveryOffered:0": 1, "FollowedUp:0": 2}


def test_the_unhappy_customer_is_reopened_one_level_up_and_a_new_episode_starts() -> None:
    events = unhappy()
    statuses = [run(events[: i + 1])[0].status for i in range(len(events))]
    assert statuses == ["received", "escalated", "recovery_offered", "reopened", "reopened", "recovery_offered",
                        "closed"]
    reopened = run(events[:5])[0]
    assert (reopened.level, reopened.department, reopened.episode) == ("manager", "finance", 2)
    assert reopened.sla.due_at == T0 + D + 2 * H and reopened.sla.awaiting_response
    case = run(events)[0]
    assert case.reopen_count == 1
    assert [(e.number, e.started_at, e.ended_at, e.outcome) for e in case.episodes] == [
        (1, T0, T0 + D, "unsatisfied"), (2, T0 + D, T0 + 2 * D, "satisfied")]
    assert case.first_response_at == T0 + 2 * H, "first response is the first offer of the case"


def test_an_answer_after_the_due_time_breaches_the_sla() -> None:
    case, _ = run([received("c2", T0, channel="chat"),
                   escalated("c2", T0 + M, level="supervisor", sla=10 * M),
                   offered("c2", T0 + 20 * M, offer_id="o", remedies=[("coupon", "2.00", "EUR")])])
    assert case.sla.breached and not case.sla.awaiting_response and case.first_response_sla_met is False


def test_an_sla_breach_escalation_marks_the_case_breached() -> None:
    case, _ = run([received("c3", T0, channel="social"),
                   escalated("c3", T0 + H, level="supervisor", reason="sla_breached")])
    assert case.sla.breached and case.status == "escalated"


def test_a_new_offer_supersedes_the_last() -> None:
    case, _ = run([received("c4", T0), offered("c4", T0 + M, offer_id="o1", remedies=[("refund", "1.00", "EUR")]),
                   offered("c4", T0 + 2 * M, offer_id="o2", remedies=[("refund", "2.00", "EUR")], supersedes="o1")])
    assert [(o.offer_id, o.superseded_by) for o in case.offers] == [("o1", "o2"), ("o2", None)]


def test_the_case_does_not_depend_on_the_order_events_arrive_in() -> None:
    events = unhappy()
    expected, expected_timeline = run(events)
    pairs = [(e.envelope(), f"{e.event.topic}:0:{i}") for i, e in enumerate(events)]
    rng = random.Random(4)
    for _ in range(50):
        shuffled = pairs[:]
        rng.shuffle(shuffled)
        assert fold(shuffled) == (expected, expected_timeline)


def test_incremental_application_in_canonical_order_equals_the_fold() -> None:
    events = sandwich() + unhappy("c-other")
    for case_events in (sandwich(), unhappy("c-other")):
        pairs = sorted(((e.envelope(), f"t:0:{i}") for i, e in enumerate(case_events)), key=lambda p: sort_key(p[0]))
        state = None
        for env, pos in pairs:
            state, _ = project(state, env, pos)
        assert state == fold(pairs)[0]
    assert len(events) == 10


def test_a_case_seen_first_through_a_later_event_is_completed_by_its_complaint() -> None:
    events = sandwich()
    partial, _ = run(events[1:2])
    assert partial.received_at is None and partial.status == "recovery_offered"
    for order in itertools.permutations(events):
        assert run(list(order))[0].status == "closed"


def test_the_timeline_shows_essentials_and_never_personal_data() -> None:
    _, timeline = run(sandwich())
    assert [e.type for e in timeline] == ["ComplaintReceived", "RecoveryOffered", "FollowedUp"]
    received_entry, offer_entry, follow_entry = timeline
    assert received_entry.essentials["customer_ref"] == "cust-sandwich"
    assert offer_entry.essentials["remedies"] == ["replacement", "free_product"]
    assert follow_entry.essentials == {"offer_id": "c-sandwich-o1", "outcome": "satisfied", "satisfied": True,
                                       "csat": 5, "episode": 1, "policy_version": "test-1",
                                       "recorded_by": "agent-7", "has_comment": True, "reasons": []}
    dumped = "".join(e.model_dump_json() for e in timeline)
    assert "personal" not in dumped and "ciphertext" not in dumped and "c2VjcmV0" not in dumped
    assert offer_entry.summary == "offered replacement, free_product worth 9.50 EUR (front_line)"

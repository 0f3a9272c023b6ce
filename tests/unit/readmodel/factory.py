"""Events for projection tests: lifecycle builders and the KPI data set (hand-computed in the tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from complaints.envelope import Envelope, Record, encode
from complaints.ids import deterministic_id
from schemas.common import Money, Sealed
from schemas.events import ComplaintReceived, Escalated, Event, FollowedUp, RecoveryOffered, Remedy

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
M, H, D = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


@dataclass(frozen=True)
class Ev:
    event: Event
    at: datetime
    id: str

    def envelope(self) -> Envelope:
        return Envelope(id=self.id, type=self.event.event_type(), source="tests", time=self.at,
                        subject=self.event.complaint_id, correlation_id=self.event.complaint_id, causation_id=None,
                        event=self.event)

    def record(self) -> Record:
        return encode(self.event, event_id=self.id, source="tests", time=self.at)


def _ev(event: Event, at: datetime, tag: str = "") -> Ev:
    return Ev(event, at, deterministic_id("test", event.topic, event.complaint_id, at.isoformat(), tag))


def sealed(ref: str) -> Sealed:
    return Sealed(key_ref=ref, nonce="bm9uY2Vub25jZTE", ciphertext="c2VjcmV0LWNvbnRhY3QtZGV0YWlscw")


def received(cid: str, at: datetime, *, channel: str = "web", customer: str = "cust-1", category: str = "wrong_order",
             severity: str = "low", public: bool = False) -> Ev:
    return _ev(ComplaintReceived(
        complaint_id=cid, channel=channel, customer_ref=customer, personal=sealed(customer), category=category,
        category_source="customer", severity=severity, severity_source="classified", public=public,
        received_at=at, prior_complaints=0), at)


def escalated(cid: str, at: datetime, *, level: str, reason: str = "triage", department: str | None = None,
              from_level: str = "front_line", episode: int = 1, sla: timedelta = H) -> Ev:
    return _ev(Escalated(
        complaint_id=cid, level=level, department=department, from_level=from_level, reason=reason,
        reasons=(f"because {reason}",), sla_due_at=at + sla, episode=episode, policy_version="test-1"), at)


def offered(cid: str, at: datetime, *, offer_id: str, remedies: list[tuple[str, str | None, str]],
            level: str = "front_line", episode: int = 1, supersedes: str | None = None) -> Ev:
    items = tuple(Remedy(type=kind, amount=Money(amount=Decimal(amount), currency=cur) if amount else None,
                         description=f"{kind} for you") for kind, amount, cur in remedies)
    currency = next((cur for _, amount, cur in remedies if amount), "EUR")
    total = sum((Decimal(a) for _, a, _ in remedies if a), Decimal("0.00"))
    return _ev(RecoveryOffered(
        complaint_id=cid, offer_id=offer_id, supersedes=supersedes, remedies=items,
        total=Money(amount=total, currency=currency), apology="We are sorry.", level=level,
        authority_limit=Money(amount=Decimal("500.00"), currency=currency), offered_by="policy",
        reasons=("fair remedy",), follow_up_at=at + 5 * M, respond_by=at + D, episode=episode,
        policy_version="test-1"), at)


def followed(cid: str, at: datetime, *, offer_id: str, outcome: str, csat: int | None = None,
             episode: int = 1, comment: bool = False) -> Ev:
    satisfied = {"satisfied": True, "unsatisfied": False}.get(outcome)
    return _ev(FollowedUp(
        complaint_id=cid, offer_id=offer_id, outcome=outcome, satisfied=satisfied, csat=csat,
        comment=sealed("cust") if comment else None, episode=episode, policy_version="test-1",
        recorded_by="agent-7" if outcome != "no_response" else "policy"), at)


def sandwich(cid: str = "c-sandwich", at: datetime = T0) -> list[Ev]:
    """Seed 004: wrong sandwich, replaced at once with a free cake; the manager checks back minutes later."""
    return [
        received(cid, at, channel="in_person", customer="cust-sandwich"),
        offered(cid, at + 2 * M, offer_id=f"{cid}-o1",
                remedies=[("replacement", "6.50", "EUR"), ("free_product", "3.00", "EUR")]),
        followed(cid, at + 7 * M, offer_id=f"{cid}-o1", outcome="satisfied", csat=5, comment=True),
    ]


def unhappy(cid: str = "c-unhappy", at: datetime = T0) -> list[Ev]:
    """Escalated, offered, unsatisfied → reopened one level up, offered again, satisfied."""
    return [
        received(cid, at, channel="email", customer="cust-unhappy", category="billing", severity="medium"),
        escalated(cid, at + M, level="supervisor", department="finance", sla=4 * H),
        offered(cid, at + 2 * H, offer_id=f"{cid}-o1", remedies=[("refund", "20.00", "USD")], level="supervisor"),
        followed(cid, at + D, offer_id=f"{cid}-o1", outcome="unsatisfied", csat=2),
        escalated(cid, at + D, level="manager", department="finance", from_level="supervisor", reason="reopened",
                  episode=2, sla=2 * H),
        offered(cid, at + D + H, offer_id=f"{cid}-o2", remedies=[("account_credit", "50.00", "USD")],
                level="manager", episode=2),
        followed(cid, at + 2 * D, offer_id=f"{cid}-o2", outcome="satisfied", csat=4, episode=2),
    ]


def kpi_cases() -> list[Ev]:
    """Six cases whose KPIs are computed by hand in the tests (see test_kpis.py)."""
    return [
        # A: social, answered in 30 min, closed satisfied (CSAT 5).
        received("A", T0, channel="social", customer="cust-a"),
        offered("A", T0 + 30 * M, offer_id="A1", remedies=[("apology", None, "EUR"), ("coupon", "5.00", "EUR")]),
        followed("A", T0 + 2 * H, offer_id="A1", outcome="satisfied", csat=5),
        # B: social, SLA breached → supervisor; unsatisfied → reopened to manager; then satisfied.
        received("B", T0 + H, channel="social", customer="cust-b"),
        escalated("B", T0 + 2 * H, level="supervisor", reason="sla_breached"),
        offered("B", T0 + 2 * H + 30 * M, offer_id="B1", remedies=[("refund", "20.00", "EUR")], level="supervisor"),
        followed("B", T0 + 25 * H, offer_id="B1", outcome="unsatisfied", csat=2),
        escalated("B", T0 + 25 * H, level="manager", from_level="supervisor", reason="reopened", episode=2),
        offered("B", T0 + 25 * H + 30 * M, offer_id="B2", remedies=[("account_credit", "30.00", "EUR")],
                level="manager", episode=2),
        followed("B", T0 + 49 * H, offer_id="B2", outcome="satisfied", csat=4, episode=2),
        # C: email, finance department; offer raised (superseded); no response.
        received("C", T0, channel="email", customer="cust-c", category="billing"),
        escalated("C", T0 + M, level="department", department="finance", sla=D),
        offered("C", T0 + 4 * H, offer_id="C1", remedies=[("refund", "100.00", "USD")], level="department"),
        offered("C", T0 + 5 * H, offer_id="C2", remedies=[("refund", "120.00", "USD")], level="department",
                supersedes="C1"),
        followed("C", T0 + 3 * D, offer_id="C2", outcome="no_response"),
        # D: phone, never answered.
        received("D", T0 + 2 * H, channel="phone", customer="cust-d"),
        # E: chat, the customer asks for a person; answered in 10 min, not followed up yet.
        received("E", T0 + 3 * H, channel="chat", customer="cust-a"),
        escalated("E", T0 + 3 * H + M, level="supervisor", reason="customer_request", sla=30 * M),
        offered("E", T0 + 3 * H + 10 * M, offer_id="E1", remedies=[("apology", None, "EUR"),
                                                                   ("replacement", "15.00", "EUR")],
                level="supervisor"),
        # F: web, received ten days later (outside the first window), never answered.
        received("F", T0 + 10 * D, channel="web", customer="cust-f"),
    ]

"""One valid event of each type, for the contract and subscriber tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schemas.common import Money, Sealed
from schemas.events import ComplaintReceived, Escalated, Event, FollowedUp, RecoveryOffered, Remedy

T0 = datetime(2026, 3, 1, 10, 15, tzinfo=UTC)


def escalated(
    complaint_id: str, *, level: str = "manager", department: str | None = None, episode: int = 1
) -> Escalated:
    return Escalated(
        complaint_id=complaint_id,
        level=level,  # type: ignore[arg-type]
        department=department,  # type: ignore[arg-type]
        from_level="front_line",
        reason="sla_breached",
        reasons=("First response SLA for channel social (1h) breached",),
        sla_due_at=T0 + timedelta(hours=1),
        episode=episode,
        policy_version="2026-03-01",
    )


def one_of_each(complaint_id: str = "c-sample") -> list[Event]:
    sealed = Sealed(key_ref="cust-1", nonce="bm9uY2Vub25jZQ", ciphertext="Y2lwaGVydGV4dA")
    return [
        ComplaintReceived(
            complaint_id=complaint_id,
            channel="social",
            customer_ref="cust-1",
            personal=sealed,
            category="wrong_order",
            category_source="customer",
            severity="low",
            severity_source="classified",
            public=True,
            received_at=T0,
            prior_complaints=0,
        ),
        escalated(complaint_id),
        RecoveryOffered(
            complaint_id=complaint_id,
            offer_id="offer-1",
            remedies=(
                Remedy(type="apology", description="Sorry about the wrong sandwich."),
                Remedy(type="free_product", amount=Money(amount="4.50", currency="USD"), description="Chocolate cake"),
            ),
            total=Money(amount="4.50", currency="USD"),
            apology="We got your order wrong. Here is a fresh one, and a cake on us.",
            level="front_line",
            authority_limit=Money(amount="25.00", currency="USD"),
            offered_by="policy",
            reasons=("low severity: front line resolves on the spot",),
            follow_up_at=T0 + timedelta(minutes=5),
            respond_by=T0 + timedelta(days=2),
            episode=1,
            policy_version="2026-03-01",
        ),
        FollowedUp(
            complaint_id=complaint_id,
            offer_id="offer-1",
            outcome="satisfied",
            satisfied=True,
            csat=5,
            episode=1,
            policy_version="2026-03-01",
            recorded_by="manager-7",
        ),
    ]

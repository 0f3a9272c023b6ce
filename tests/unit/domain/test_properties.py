"""Properties over many generated complaints: authority is never exceeded, decisions never vary."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from complaints.domain import AuthorityExceeded, Policy, load_policy, recovery, triage
from schemas.common import LEVELS, Level, Money
from schemas.events import ComplaintReceived, Escalated, RecoveryOffered, Remedy
from tests.unit.domain.conftest import DEFAULT_POLICY
from tests.unit.domain.helpers import T0, Lifecycle, complaint

POLICY: Policy = load_policy(DEFAULT_POLICY)
HOUR = timedelta(hours=1)

amounts = st.decimals(min_value=0, max_value=30000, places=2, allow_nan=False, allow_infinity=False)
stakes = st.one_of(
    st.none(),
    st.builds(lambda a, c: Money(amount=a, currency=c), amounts, st.sampled_from(["USD", "EUR", "GBP", "JPY"])),
)
complaints = st.builds(
    complaint,
    complaint_id=st.just("case-p"),
    channel=st.sampled_from(["phone", "email", "web", "chat", "social", "in_person"]),
    category=st.sampled_from(
        [
            "wrong_order",
            "product_defect",
            "billing",
            "delivery",
            "staff_conduct",
            "wait_time",
            "privacy",
            "policy",
            "other",
        ]
    ),
    severity=st.sampled_from(["low", "medium", "high", "critical"]),
    public=st.booleans(),
    wants_human=st.booleans(),
    amount_at_stake=stakes,
    prior_complaints=st.integers(min_value=0, max_value=6),
)


def within_authority(offer: RecoveryOffered) -> bool:
    limit = POLICY.authority(offer.level, offer.total.currency)
    return limit == offer.authority_limit and offer.total.amount <= offer.authority_limit.amount


@settings(max_examples=150, deadline=None, database=None)
@given(received=complaints)
def test_triage_only_auto_offers_what_the_level_may_give(received: ComplaintReceived) -> None:
    decided = triage(received, POLICY)
    assert decided.reasons and decided == triage(received, POLICY)
    if decided.auto_offer:
        limit = POLICY.authority(decided.level, decided.remedy.total.currency)
        assert limit is not None and decided.remedy.total.amount <= limit.amount
    assert all(r.amount is None or r.amount.amount >= 0 for r in decided.remedy.remedies)


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(received=complaints, answers=st.lists(st.booleans(), max_size=4), ticks=st.integers(0, 3))
def test_no_automatic_offer_ever_exceeds_the_authority_of_its_level(
    received: ComplaintReceived, answers: list[bool], ticks: int
) -> None:
    case = Lifecycle(POLICY)
    case.receive(received)
    now = T0
    for _ in range(ticks):
        now += 2 * HOUR
        case.tick(now)
    for satisfied in answers:
        now += HOUR
        if case.state("followup").closed or case.state("followup").open_offer is None:
            break
        case.answer(satisfied=satisfied, now=now)
    offers = [e.event for e in case.log if isinstance(e.event, RecoveryOffered)]
    assert all(within_authority(o) for o in offers)
    moves = [e.event for e in case.log if isinstance(e.event, Escalated)]
    assert all(LEVELS.index(m.level) >= LEVELS.index(m.from_level) for m in moves)  # never down
    assert all(m.level == m.from_level == "executive" for m in moves if m.level == m.from_level)


@settings(max_examples=150, deadline=None, database=None)
@given(level=st.sampled_from(LEVELS), values=st.lists(amounts, min_size=1, max_size=4))
def test_a_manual_offer_is_either_within_authority_or_refused(level: Level, values: list[Decimal]) -> None:
    case = Lifecycle(POLICY)
    case.receive(complaint(complaint_id="case-m"))
    remedies = [Remedy(type="refund", amount=Money(amount=v, currency="USD"), description="r") for v in values]
    try:
        emits = recovery.manual_offer(
            case.state("recovery"),
            agent="a",
            level=level,
            remedies=remedies,
            apology=None,
            policy=POLICY,
            now=T0,
            request_id="r",
        )
    except AuthorityExceeded as refused:
        assert refused.limit is not None and refused.total.amount > refused.limit.amount
    else:
        made = emits[0].event
        assert isinstance(made, RecoveryOffered) and within_authority(made)

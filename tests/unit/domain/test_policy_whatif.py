"""Issue 18 item 4: what-if over a known history gives the hand-computed differences."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import yaml

from complaints.domain import Policy, parse_policy
from complaints.domain.intake import build_received
from complaints.domain.whatif import Recorded, what_if
from schemas.common import Sealed
from tests.unit.domain.conftest import DEFAULT_POLICY
from tests.unit.domain.helpers import T0, Lifecycle, usd

H, M = timedelta(hours=1), timedelta(minutes=1)
SEALED = Sealed(key_ref="cust-1", nonce="bm9uY2U", ciphertext="c2VhbGVk")


def candidate() -> Policy:
    """Gestures of USD 10 (not 5), chat answered within 2h (not 10m), every chat complaint to a supervisor."""
    data = yaml.safe_load(DEFAULT_POLICY.read_text())
    data["recovery"]["gesture"]["USD"] = "10.00"
    data["sla"]["first_response"]["chat"] = {"default": "2h"}
    data["triage"]["rules"].insert(0, {"name": "chat", "when": {"channel": "chat", "wants_human": False},
                                       "level": "supervisor", "reason": "Chats go to a supervisor."})
    return parse_policy(data)


def history(policy: Policy, cid: str, **fields: Any) -> list[Recorded]:
    values: dict[str, Any] = dict(complaint_id=cid, channel="in_person", customer_ref="cust-1", personal=SEALED,
                                  description="-", category="wrong_order", severity="low", public=False,
                                  wants_human=False, order_ref=None, amount_at_stake=usd("8.50"), occurred_at=None,
                                  received_at=T0, prior_complaints=0)
    case = Lifecycle(policy)
    case.receive(build_received(**{**values, **fields}, policy=policy))
    return [(e.event, T0) for e in case.log]  # everything happened on arrival


def known(policy: Policy) -> list[list[Recorded]]:
    return [
        history(policy, "A-sandwich"),  # front line offers 8.50 + 5.00 at once
        history(policy, "B-person", channel="chat", category="other", amount_at_stake=None, wants_human=True),
        history(policy, "C-public", channel="social", public=True, category="other", amount_at_stake=None),
        history(policy, "E-chat", channel="chat"),  # front line offers 13.50 at once
    ]


def test_what_if_gives_the_hand_computed_differences(policy: Policy) -> None:
    report = what_if(known(policy), candidate(), as_of=T0 + H)
    assert report.cases == 4 and report.candidate == candidate().policy_id
    assert (report.level_changes, report.department_changes) == (1, 0)  # E: front line -> supervisor
    assert report.offers_differ == 2  # A and E: the gesture doubles
    assert report.offers_differ_total_before == {"USD": Decimal("27.00")}
    assert report.offers_differ_total_after == {"USD": Decimal("37.00")}
    assert (report.breaches_added, report.breaches_removed) == (0, 1)  # B: 10m passed unanswered; now 2h
    assert report.attainment_before == {"chat": 0.5, "in_person": 1.0, "social": 0.0}
    assert report.attainment_after == {"chat": 1.0, "in_person": 1.0, "social": 0.0}
    assert report.cost_before == {"USD": Decimal("27.00")} and report.cost_after == {"USD": Decimal("37.00")}
    assert [c.complaint_id for c in report.changed] == ["A-sandwich", "B-person", "E-chat"]
    e = report.changed[2]
    assert (e.before.level, e.after.level, e.after.due_at) == ("front_line", "supervisor", T0 + 2 * H)


def test_the_same_policy_changes_nothing(policy: Policy) -> None:
    report = what_if(known(policy), policy, as_of=T0 + H)
    assert report.changed == () and report.offers_differ == 0 and report.level_changes == 0
    assert report.attainment_before == report.attainment_after


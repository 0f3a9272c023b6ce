"""Issue 18 item 4: what-if over a known history (later episodes, declines, the SLA ladder) gives the
hand-computed differences."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import yaml

from complaints.domain import Policy, customer, parse_policy
from complaints.domain.intake import build_received
from complaints.domain.whatif import Recorded, what_if
from schemas.common import Sealed
from tests.unit.domain.conftest import DEFAULT_POLICY
from tests.unit.domain.helpers import T0, Lifecycle, usd

H, M = timedelta(hours=1), timedelta(minutes=1)
SEALED = Sealed(key_ref="cust-1", nonce="bm9uY2U", ciphertext="c2VhbGVk")


def candidate() -> Policy:
    """Gestures of USD 10 (not 5), chat answered within 2h (not 10m), every chat complaint to a supervisor."""
    return parse_policy(candidate_data())


def candidate_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEFAULT_POLICY.read_text())
    data["recovery"]["gesture"]["USD"] = "10.00"
    data["sla"]["first_response"]["chat"] = {"default": "2h"}
    data["triage"]["rules"].insert(0, {"name": "chat", "when": {"channel": "chat", "wants_human": False},
                                       "level": "supervisor", "reason": "Chats go to a supervisor."})
    return data


class Recorder:
    """One case driven through the services' pure cores; `events` is its log with each event's time."""

    def __init__(self, policy: Policy, cid: str, **fields: Any) -> None:
        values: dict[str, Any] = dict(complaint_id=cid, channel="in_person", customer_ref="cust-1", personal=SEALED,
                                      description="-", category="wrong_order", severity="low", public=False,
                                      wants_human=False, order_ref=None, amount_at_stake=usd("8.50"),
                                      occurred_at=None, received_at=T0, prior_complaints=0)
        self.policy, self.case = policy, Lifecycle(policy)
        self.events: list[Recorded] = []
        self.case.receive(build_received(**{**values, **fields}, policy=policy))
        self._take(T0)

    def _take(self, at: datetime) -> Recorder:
        self.events += [(e.event, at) for e in self.case.log[len(self.events):]]
        return self

    def tick(self, *minutes: int) -> Recorder:
        for m in minutes:
            self.case.tick(T0 + m * M)
            self._take(T0 + m * M)
        return self

    def answer(self, satisfied: bool, minute: int) -> Recorder:
        self.case.answer(satisfied, T0 + minute * M)
        return self._take(T0 + minute * M)

    def decline(self, minute: int) -> Recorder:
        at = T0 + minute * M
        offer = self.case.state("followup").offer_awaiting_answer
        assert offer is not None
        declined, *unhappy = customer.decline(self.case.state("followup"), offer_id=offer.offer_id, answered=None,
                                              comment=None, policy=self.policy, now=at)
        self.case.publish(unhappy, at)
        self._take(at)
        self.events.append((declined.event, at))  # the customer's answer travels beside the lifecycle's events
        return self


def known(policy: Policy) -> list[list[Recorded]]:
    """The history, hand-computed under the shipped policy (10m for chat and in person, 1h social, as of +1h)."""
    return [
        # 13.50 at once; unhappy at +10m: episode 2 at a supervisor, 8.50 + 2x5 + 2x5 = 28.50 at once; happy
        Recorder(policy, "A-sandwich").answer(False, 10).answer(True, 20).events,
        # a person at a supervisor; nobody answers: the ladder climbs every 10m to the executive (operations)
        Recorder(policy, "B-person", channel="chat", category="other", amount_at_stake=None,
                 wants_human=True).tick(10, 20, 30, 40, 60).events,
        # a public tweet the front line answers personally; nobody does within 1h: a supervisor offers 5.00
        Recorder(policy, "C-public", channel="social", public=True, category="other",
                 amount_at_stake=None).tick(60).events,
        # 13.50 at once; the customer declines at +5m: episode 2 at a supervisor, 28.50 at once, no answer yet
        Recorder(policy, "E-chat", channel="chat").decline(5).tick(60).events,
    ]


def test_what_if_gives_the_hand_computed_differences(policy: Policy) -> None:
    report = what_if(known(policy), candidate(), as_of=T0 + H)
    assert report.cases == 4 and report.candidate == candidate().policy_id
    # B: executive -> supervisor (2h: no breach by +1h), leaving operations; E: a chat starts at a supervisor,
    # so its reopen goes to a manager
    assert (report.level_changes, report.department_changes) == (2, 1)
    # A and E: 13.50 + 28.50 -> 18.50 + 48.50 (the gesture is 10, doubled on reopen); C: 5.00 -> 10.00
    assert report.offers_differ == 3
    assert report.offers_differ_total_before == {"USD": Decimal("89.00")}
    assert report.offers_differ_total_after == {"USD": Decimal("144.00")}
    assert (report.breaches_added, report.breaches_removed) == (0, 1)  # B
    assert report.attainment_before == {"chat": 0.5, "in_person": 1.0, "social": 0.0}
    assert report.attainment_after == {"chat": 1.0, "in_person": 1.0, "social": 0.0}
    assert report.cost_before == {"USD": Decimal("89.00")} and report.cost_after == {"USD": Decimal("144.00")}
    by_id = {c.complaint_id: c for c in report.changed}
    assert sorted(by_id) == ["A-sandwich", "B-person", "C-public", "E-chat"]
    b, e = by_id["B-person"], by_id["E-chat"]
    assert (b.before.level, b.before.department, b.after.level, b.after.department) == (
        "executive", "operations", "supervisor", None)
    assert (e.before.level, e.after.level, e.after.offers) == ("supervisor", "manager", (usd("18.50"), usd("48.50")))
    assert by_id["A-sandwich"].before.offers == (usd("13.50"), usd("28.50"))


def test_the_same_policy_changes_nothing(policy: Policy) -> None:
    report = what_if(known(policy), policy, as_of=T0 + H)
    assert report.changed == () and report.offers_differ == 0 and report.level_changes == 0
    assert report.attainment_before == report.attainment_after
    assert report.cost_before == report.cost_after == {"USD": Decimal("89.00")}


def test_a_case_nobody_would_answer_stops_at_that_episode(policy: Policy) -> None:
    """A candidate without automatic offers at the front line or a supervisor: A waits for a person in episode 1,
    so its recorded episode 2 (the customer's unhappy answer to an offer never made) is not assumed."""
    data = yaml.safe_load(DEFAULT_POLICY.read_text())
    data["levels"]["front_line"]["auto_offer"] = False
    data["levels"]["supervisor"]["auto_offer"] = False
    report = what_if([known(policy)[0]], parse_policy(data), as_of=T0 + 5 * M)
    [a] = report.changed
    assert a.after.offers == (None,) and a.after.breached is False  # due at +10m; as of +5m still in time
    later = what_if([known(policy)[0]], parse_policy(data), as_of=T0 + H)
    # nobody at the front line by +10m: a supervisor (no automatic offer either) by +20m: a manager offers 13.50
    assert later.changed[0].after.offers == (usd("13.50"),) and later.changed[0].after.level == "manager"
    assert later.breaches_added == 1
